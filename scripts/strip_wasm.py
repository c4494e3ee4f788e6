#!/usr/bin/env python3
"""Drops a wasm module's debugging custom sections — `name` (function and data names) and
`producers` — in place, leaving every other section byte for byte (Python 3, standard library).

    strip_wasm.py module.wasm

worker-build needs the `target_features` section while it builds, so the release profile
cannot strip; this runs after it. The names only serve stack traces: about 8 % of the module.
"""

import sys
from pathlib import Path

DROPPED = {"name", "producers"}


def leb128(data: bytes, at: int) -> tuple[int, int]:
    """(value, next offset) of the unsigned LEB128 number at `at`."""
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def strip(data: bytes) -> bytes:
    if data[:4] != b"\0asm":
        raise ValueError("not a wasm module")
    out = bytearray(data[:8])
    at = 8
    while at < len(data):
        start = at
        section_id = data[at]
        size, body = leb128(data, at + 1)
        end = body + size
        if end > len(data):
            raise ValueError("a section runs past the end of the module")
        keep = True
        if section_id == 0:
            name_len, name_at = leb128(data, body)
            keep = data[name_at : name_at + name_len].decode("utf-8", "replace") not in DROPPED
        if keep:
            out += data[start:end]
        at = end
    return bytes(out)


def main() -> None:
    path = Path(sys.argv[1])
    before = path.read_bytes()
    after = strip(before)
    path.write_bytes(after)
    print(f"stripped {path.name}: {len(before)} -> {len(after)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()

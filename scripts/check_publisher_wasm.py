#!/usr/bin/env python3
"""Refuses a publisher Worker build that links the HTTP API (Python 3, standard library).

    check_publisher_wasm.py module.wasm openapi.json

The publisher Worker runs the cron and the queue consumer; it must carry no router
(`herald::app`), no password hashing (argon2) and no OpenAPI document. Run on the module as
worker-build leaves it, before `strip_wasm.py` drops the function names this reads:

- the `name` section must exist and name the engine (`herald::maintenance::tick`), or the check
  would pass on a module it cannot read;
- no function may be named after `herald::app::` or the `argon2` crate;
- the served OpenAPI document's text must not be in the module (the app embeds it whole).
"""

import sys
from pathlib import Path

REQUIRED = "herald::maintenance::tick"
FORBIDDEN = ("herald::app::", "argon2::")


def leb128(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def function_names(data: bytes) -> list[str]:
    """The function names of the module's `name` section (subsection 1); empty without one."""
    if data[:4] != b"\0asm":
        raise ValueError("not a wasm module")
    names: list[str] = []
    at = 8
    while at < len(data):
        section_id = data[at]
        size, body = leb128(data, at + 1)
        end = body + size
        if section_id == 0:
            name_len, name_at = leb128(data, body)
            if data[name_at : name_at + name_len] == b"name":
                sub = name_at + name_len
                while sub < end:
                    kind = data[sub]
                    sub_size, sub_body = leb128(data, sub + 1)
                    if kind == 1:
                        count, p = leb128(data, sub_body)
                        for _ in range(count):
                            _, p = leb128(data, p)
                            n, p = leb128(data, p)
                            names.append(data[p : p + n].decode("utf-8", "replace"))
                            p += n
                    sub = sub_body + sub_size
        at = end
    return names


def main() -> int:
    module = Path(sys.argv[1]).read_bytes()
    document = Path(sys.argv[2]).read_bytes()
    names = function_names(module)
    problems = []
    if not any(REQUIRED in n for n in names):
        problems.append(f"no function named {REQUIRED} (no name section?): cannot check what is linked")
    for pattern in FORBIDDEN:
        linked = sorted({n for n in names if pattern in n})
        if linked:
            problems.append(f"{len(linked)} functions of {pattern!r}, e.g. {linked[:3]}")
    # A distinctive stretch of the document, not its first bytes alone (shared by any JSON).
    if document[:200] in module:
        problems.append("the OpenAPI document is embedded")
    if problems:
        print(f"{sys.argv[1]}: the publisher build links the HTTP API:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print(f"checked {Path(sys.argv[1]).name}: {len(names)} functions, none of the HTTP API's", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

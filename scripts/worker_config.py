#!/usr/bin/env python3
"""Writes a copy of a Worker's configuration with extra variables (Python 3.11+, standard library).

    worker_config.py <wrangler.publisher.toml|wrangler.ai.toml> <out.json> [--var NAME:VALUE]...

`wrangler dev -c wrangler.toml -c <publisher.json> -c <ai.json>` serves the three Workers in one
session, but its `--var` flags reach only the first (the API Worker). The tests and benchmarks
pass their settings (JWT_SECRET, TOKEN_KEYS, fake platforms and AI providers …) with `--var`; the
publisher and the AI Worker need the same, so this merges them into the copy's [vars] and every
environment's vars. The copy is JSON (wrangler reads either) and lives outside the repository, so
its paths are made absolute. Arguments other than `--var NAME:VALUE` are ignored: callers pass
the API Worker's flags as they are.
"""

import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def extra_vars(args: list[str]) -> dict[str, str]:
    found = {}
    for flag, value in zip(args, args[1:]):
        if flag == "--var" and ":" in value:
            name, _, text = value.partition(":")
            found[name] = text
    return found


def absolute(section: dict) -> None:
    """Paths in `section` (the top level or an environment) made absolute against the repo."""
    if "main" in section:
        section["main"] = str(ROOT / section["main"])
    if "build" in section:
        section["build"].setdefault("cwd", str(ROOT))
    for db in section.get("d1_databases", []):
        if "migrations_dir" in db:
            db["migrations_dir"] = str(ROOT / db["migrations_dir"])


def main() -> None:
    source, out = ROOT / sys.argv[1], Path(sys.argv[2])
    config = tomllib.loads(source.read_text())
    merged = extra_vars(sys.argv[3:])
    sections = [config, *config.get("env", {}).values()]
    for section in sections:
        absolute(section)
        section["vars"] = {**section.get("vars", {}), **merged}
    out.write_text(json.dumps(config, indent=2))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Checks that spin.toml agrees with the crates it builds (Python 3.11+, standard library only).

    check_spin_manifest.py [--manifest spin.toml]             check, and print component sizes
    check_spin_manifest.py [--manifest spin.toml] --builds    print "component<TAB>workdir<TAB>command"

Fails (exit 1, every problem listed) unless:
  * every [[trigger.http]] names a component that exists;
  * every component has a cargo build command, and its `source` is the file that command
    produces (target dir, target triple, profile and the crate's library name, or where a
    `cp` after the build puts that file), and the file
    exists (run this after building) and is a component exporting wasi:http/handler;
  * every variable the component's Rust code reads — `variables::get("name")`, or a `var("name")`
    wrapper around it — is declared under [variables] and in the component's `variables`, and
    every `{{ template }}` in the component names a declared variable;
  * the production manifest reaches out only over https (besides templated hosts and
    postgres://), and the development manifest beside it (`spin.dev.toml`, when present) is the
    same manifest word for word except that its components may also reach loopback over http.
"""

import argparse
import gzip
import re
import shlex
import sys
import tomllib
from pathlib import Path

# The calls that read a Spin variable in Rust, by literal name.
READ_CALLS = [re.compile(r'\bvariables::get\(\s*"([^"]*)"'), re.compile(r'(?<![\w:.])var\(\s*"([^"]*)"')]
# A read by a non-literal name cannot be checked; only the wrapper itself may do that.
ANY_GET = re.compile(r"\bvariables::get\(\s*([^)\s]*)")
WRAPPER_FN = "var"
TEMPLATE = re.compile(r"\{\{\s*([^}\s]+)\s*\}\}")


def load_toml(path: Path) -> dict:
    with path.open("rb") as f:
        return tomllib.load(f)


def workspace_packages(root: Path) -> dict[str, Path]:
    """Package name -> crate directory, for the workspace whose Cargo.toml is in `root`."""
    packages = {}
    cargo = load_toml(root / "Cargo.toml")
    members = cargo.get("workspace", {}).get("members", [])
    dirs = [root] if "package" in cargo else []
    for member in members:
        dirs.extend(p for p in sorted(root.glob(member)) if (p / "Cargo.toml").is_file())
    for d in dirs:
        package = load_toml(d / "Cargo.toml").get("package", {})
        if "name" in package:
            packages[package["name"]] = d
    return packages


def find_workspace_root(start: Path) -> Path | None:
    for d in [start, *start.parents]:
        if (d / "Cargo.toml").is_file() and "workspace" in load_toml(d / "Cargo.toml"):
            return d
    return None


def cargo_segment(command: str) -> list[str] | None:
    """The tokens of the `cargo build` step of a possibly chained command."""
    for segment in re.split(r"&&|;|\|\|", command):
        tokens = shlex.split(segment)
        words = [t for t in tokens if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", t)]
        if len(words) >= 2 and words[0] == "cargo" and words[1] == "build":
            return tokens
    return None


def copied_to(command: str, built: Path, workdir: Path) -> Path:
    """Where the build's file ends up: `built`, or the destination of a later `cp built dest`."""
    out = built
    for segment in re.split(r"&&|;", command):
        words = shlex.split(segment)
        if len(words) == 3 and words[0] == "cp" and (workdir / words[1]).resolve() == out.resolve():
            out = workdir / words[2]
    return out


def expected_output(tokens: list[str], workdir: Path, problems: list[str], cid: str) -> tuple[Path, Path] | None:
    """(the .wasm the build writes, the crate directory), or None after noting why not."""
    env = {}
    i = 0
    while i < len(tokens) and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", tokens[i]):
        k, v = tokens[i].split("=", 1)
        env[k] = v
        i += 1
    args = tokens[i + 2 :]

    def flag(*names: str) -> str | None:
        for j, a in enumerate(args):
            for n in names:
                if a == n and j + 1 < len(args):
                    return args[j + 1]
                if a.startswith(n + "="):
                    return a.split("=", 1)[1]
        return None

    target_dir = flag("--target-dir") or env.get("CARGO_TARGET_DIR")
    if target_dir is None:
        problems.append(
            f"component {cid}: the build command must set CARGO_TARGET_DIR (or --target-dir); "
            "otherwise where it writes depends on the caller's environment"
        )
        return None
    triple = flag("--target")
    if triple is None:
        problems.append(f"component {cid}: the build command has no --target (wasm32-wasip2 expected)")
        return None
    if triple != "wasm32-wasip2":
        problems.append(f"component {cid}: builds for {triple}, not wasm32-wasip2")
    profile = flag("--profile") or ("release" if "--release" in args or "-r" in args else "debug")
    profile_dir = {"dev": "debug", "test": "debug", "bench": "release"}.get(profile, profile)

    root = find_workspace_root(workdir)
    packages = workspace_packages(root) if root else {}
    package = flag("-p", "--package")
    if package is None:
        here = load_toml(workdir / "Cargo.toml").get("package", {}) if (workdir / "Cargo.toml").is_file() else {}
        package = here.get("name")
        packages.setdefault(package, workdir)
    if package not in packages:
        problems.append(f"component {cid}: the build command builds package {package!r}, which is not in the workspace")
        return None
    crate = packages[package]
    cargo = load_toml(crate / "Cargo.toml")
    lib = cargo.get("lib", {})
    if "cdylib" not in lib.get("crate-type", []):
        problems.append(f"component {cid}: {package} is not a cdylib, so it builds no component")
    lib_name = lib.get("name", package.replace("-", "_"))
    out = workdir / target_dir / triple / profile_dir / f"{lib_name}.wasm"
    return out, crate


def component_exports(data: bytes) -> list[str]:
    """The names in a component's top-level export sections (id 11), read without a wasm tool."""

    def leb(pos: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value, pos

    names, pos = [], 8
    while pos < len(data):
        section, (size, pos) = data[pos], leb(pos + 1)
        if section == 11:
            names += re.findall(rb"[a-z][a-z0-9-]*:[a-z0-9-/]+@[0-9A-Za-z.+-]+", data[pos : pos + size])
        pos += size
    return [n.decode() for n in names]


def variables_read(crate: Path, app_dir: Path, problems: list[str], cid: str) -> dict[str, str]:
    """Variable name -> where it is first read, over the crate's Rust sources."""
    found = {}
    for rs in sorted(crate.rglob("*.rs")):
        if "target" in rs.relative_to(crate).parts:
            continue
        text = rs.read_text(encoding="utf-8")
        for pattern in READ_CALLS:
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                shown = rs.relative_to(app_dir) if rs.is_relative_to(app_dir) else rs
                found.setdefault(m.group(1), f"{shown}:{line}")
        for m in ANY_GET.finditer(text):
            if m.group(1).startswith('"'):
                continue
            fns = re.findall(r"\bfn\s+(\w+)", text[: m.start()])
            if not fns or fns[-1] != WRAPPER_FN:
                line = text.count("\n", 0, m.start()) + 1
                problems.append(
                    f"component {cid}: {rs.name}:{line} reads a variable by a non-literal name outside "
                    f"fn {WRAPPER_FN}; read it as {WRAPPER_FN}(\"name\") so this check can see it"
                )
    return found


LOOPBACK = re.compile(r"^http://(127\.0\.0\.1|localhost|\[::1\]):(\*|\d+)$")


def outbound_problems(manifest: dict, dev: dict | None) -> list[str]:
    """The production manifest is https-only; the development one differs only by loopback."""
    problems = []
    for cid, c in manifest.get("component", {}).items():
        for host in c.get("allowed_outbound_hosts", []):
            templated = TEMPLATE.fullmatch(host.strip()) is not None
            if not (templated or host.startswith("https://") or host.startswith("postgres://")):
                problems.append(f"component {cid}: allowed_outbound_hosts has {host!r}: production reaches out over https only")
    if dev is None:
        return problems

    def without_hosts(m: dict) -> dict:
        m = {k: v for k, v in m.items()}
        m["component"] = {
            cid: {k: v for k, v in c.items() if k != "allowed_outbound_hosts"} for cid, c in m.get("component", {}).items()
        }
        return m

    if without_hosts(manifest) != without_hosts(dev):
        problems.append("spin.dev.toml differs from spin.toml in more than allowed_outbound_hosts: copy the change over")
    for cid, c in dev.get("component", {}).items():
        prod = manifest.get("component", {}).get(cid, {}).get("allowed_outbound_hosts", [])
        hosts = c.get("allowed_outbound_hosts", [])
        if missing := [h for h in prod if h not in hosts]:
            problems.append(f"spin.dev.toml: component {cid} lacks {missing} of spin.toml")
        if extra := [h for h in hosts if h not in prod and not LOOPBACK.match(h)]:
            problems.append(f"spin.dev.toml: component {cid} may add only loopback hosts, not {extra}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", default="spin.toml", type=Path)
    parser.add_argument("--builds", action="store_true", help="print each component's workdir and build command")
    parser.add_argument("--dev-manifest", type=Path, help="the development manifest (default: spin.dev.toml beside it)")
    opts = parser.parse_args()

    manifest_path = opts.manifest.resolve()
    app_dir = manifest_path.parent
    manifest = load_toml(manifest_path)
    components = manifest.get("component", {})

    if opts.builds:
        for cid, c in components.items():
            build = c.get("build", {})
            if "command" in build:
                workdir = app_dir / build.get("workdir", ".")
                print(f"{cid}\t{workdir}\t{build['command']}")
        return 0

    problems = []
    if manifest.get("spin_manifest_version") != 2:
        problems.append("spin_manifest_version must be 2")
    app_vars = manifest.get("variables", {})
    for name, spec in app_vars.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or "__" in name:
            problems.append(f"variable {name}: Spin variable names are lowercase letters, digits and single underscores")
        if bool(spec.get("required", False)) == ("default" in spec):
            problems.append(f"variable {name}: give either a default or required = true (one of them)")

    dev_path = opts.dev_manifest or app_dir / "spin.dev.toml"
    problems += outbound_problems(manifest, load_toml(dev_path) if dev_path.is_file() else None)

    triggers = manifest.get("trigger", {}).get("http", [])
    if not triggers:
        problems.append("no [[trigger.http]]")
    for t in triggers:
        cid = t.get("component")
        if not isinstance(cid, str) or cid not in components:
            problems.append(f"trigger {t.get('route')!r} names component {cid!r}, which does not exist")

    sizes = []
    for cid, c in components.items():
        # Every template in the component must name a declared application variable.
        texts = [v for v in c.get("variables", {}).values() if isinstance(v, str)]
        texts += [h for h in c.get("allowed_outbound_hosts", []) if isinstance(h, str)]
        for text in texts:
            for name in TEMPLATE.findall(text):
                if name not in app_vars:
                    problems.append(f"component {cid}: {{{{ {name} }}}} names no variable of [variables]")

        build = c.get("build", {})
        source = c.get("source")
        if not isinstance(source, str):
            problems.append(f"component {cid}: source must be a local file path")
            continue
        if "command" not in build:
            problems.append(f"component {cid}: no build command")
            continue
        tokens = cargo_segment(build["command"])
        if tokens is None:
            problems.append(f"component {cid}: the build command has no `cargo build` step")
            continue
        workdir = app_dir / build.get("workdir", ".")
        found = expected_output(tokens, workdir, problems, cid)
        if found is None:
            continue
        out, crate = found
        out = copied_to(build["command"], out, workdir)
        src = (app_dir / source).resolve()
        if out.resolve() != src:
            problems.append(
                f"component {cid}: source is {source}, but the build command writes "
                f"{out.resolve().relative_to(app_dir) if out.resolve().is_relative_to(app_dir) else out.resolve()}"
            )
        if not src.is_file():
            problems.append(f"component {cid}: {source} does not exist (build first: scripts/check-spin.sh)")
        else:
            data = src.read_bytes()
            if data[:8] != b"\0asm\x0d\0\x01\0":
                problems.append(f"component {cid}: {source} is not a WebAssembly component")
            elif not any(e.startswith("wasi:http/handler@") for e in component_exports(data)):
                problems.append(f"component {cid}: {source} exports no wasi:http/handler, so no HTTP trigger can call it")
            sizes.append((cid, source, len(data), len(gzip.compress(data, 9))))

        declared = c.get("variables", {})
        for name, where in sorted(variables_read(crate, app_dir, problems, cid).items()):
            if name not in app_vars:
                problems.append(f"variable {name} (read at {where}) is not declared under [variables]")
            if name not in declared:
                problems.append(f"variable {name} (read at {where}) is not in [component.{cid}.variables]")

    for cid, source, raw, gz in sizes:
        print(f"{cid}: {source}: {raw:,} bytes raw, {gz:,} bytes gzipped ({raw / 1024:.0f} KiB / {gz / 1024:.0f} KiB)")
    if problems:
        for p in problems:
            print(f"spin.toml: {p}", file=sys.stderr)
        return 1
    print(f"spin.toml: {len(components)} component(s), {len(triggers)} route(s), {len(app_vars)} variable(s): ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

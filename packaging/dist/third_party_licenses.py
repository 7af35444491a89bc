"""Writes THIRD-PARTY-LICENSES.md: the crates built into libvidiflow_auth and vf-token, each with
its licence and the licence files it ships, as the binaries' redistribution notice.

    python3 packaging/dist/third_party_licenses.py --target x86_64-unknown-linux-gnu OUT

Only normal (not dev or build) dependencies for the target count: those are the code linked in.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LICENCE_PREFIXES = ("LICENSE", "LICENCE", "COPYING", "NOTICE", "COPYRIGHT")


def linked_packages(target: str) -> list[dict]:
    """The packages reachable from the crate through normal dependencies, itself excluded."""
    metadata = json.loads(subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", target,
         "--manifest-path", str(ROOT / "Cargo.toml")],
        check=True, stdout=subprocess.PIPE, text=True).stdout)
    packages = {p["id"]: p for p in metadata["packages"]}
    nodes = {n["id"]: n for n in metadata["resolve"]["nodes"]}
    root = metadata["resolve"]["root"]
    seen, todo = {root}, [root]
    while todo:
        for dep in nodes[todo.pop()]["deps"]:
            if any(k["kind"] is None for k in dep["dep_kinds"]) and dep["pkg"] not in seen:
                seen.add(dep["pkg"])
                todo.append(dep["pkg"])
    seen.discard(root)
    return sorted((packages[i] for i in seen), key=lambda p: (p["name"], p["version"]))


def licence_files(package: dict) -> list[Path]:
    folder = Path(package["manifest_path"]).parent
    return sorted(f for f in folder.iterdir()
                  if f.is_file() and f.name.upper().startswith(LICENCE_PREFIXES))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    packages = linked_packages(args.target)
    lines = [
        "# Third-party licences",
        "",
        "libvidiflow_auth and vf-token contain these Rust crates, built in statically.",
        "Each is listed with its licence as it declares it, followed by the licence files it ships.",
        "",
    ]
    lines += [f"- {p['name']} {p['version']}: {p.get('license') or 'see its files below'}" for p in packages]
    for p in packages:
        files = licence_files(p)
        if not files and not p.get("license"):
            print(f"third_party_licenses: {p['name']} declares no licence and ships no licence file",
                  file=sys.stderr)
            return 1
        for f in files:
            lines += ["", f"## {p['name']} {p['version']}: {f.name}", "", "```",
                      f.read_text("utf-8", errors="replace").rstrip("\n"), "```"]
    args.out.write_text("\n".join(lines) + "\n", "utf-8")
    print(f"third_party_licenses: {len(packages)} crates -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Writes the NuGet package VidiFlow.Auth.<version>.nupkg (`make dist` calls it).

    python3 packaging/dist/nupkg.py --version X.Y.Z --assembly VidiFlow.Auth.dll --doc VidiFlow.Auth.xml \
        --readme README.md --linux-x64 libvidiflow_auth.so [--win-x64 vidiflow_auth.dll] --out DIR

A .nupkg is a zip in the Open Packaging Conventions: the .nuspec, the files, plus
[Content_Types].xml (a content type for every extension in it; older NuGet clients skip files
without one), _rels/.rels (which names the manifest) and a core-properties part. Layout:

    lib/netstandard2.0/VidiFlow.Auth.dll and .xml    the managed assembly and its XML docs
    runtimes/linux-x64/native/libvidiflow_auth.so    where .NET looks for the native library
    runtimes/win-x64/native/vidiflow_auth.dll        only when --win-x64 names a built DLL
    README.md, LICENSE-MIT.txt, LICENSE-APACHE.txt

The archive is reproducible: fixed entry order and time stamps (SOURCE_DATE_EPOCH, else 1980).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PACKAGE_ID = "VidiFlow.Auth"
OCTET = "application/octet"


def package_files(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """(path in the package, file on disk), in the order they are written."""
    files = [
        (f"lib/netstandard2.0/{PACKAGE_ID}.dll", args.assembly),
        (f"lib/netstandard2.0/{PACKAGE_ID}.xml", args.doc),
        ("runtimes/linux-x64/native/libvidiflow_auth.so", args.linux_x64),
    ]
    if args.win_x64 is not None:
        files.append(("runtimes/win-x64/native/vidiflow_auth.dll", args.win_x64))
    files += [
        ("README.md", args.readme),
        # With an extension: older clients only unpack files whose extension has a content type.
        ("LICENSE-MIT.txt", ROOT / "LICENSE-MIT"),
        ("LICENSE-APACHE.txt", ROOT / "LICENSE-APACHE"),
    ]
    for _, path in files:
        if not path.is_file():
            raise SystemExit(f"nupkg.py: {path} is missing")
    if args.win_x64 is not None and args.win_x64.read_bytes()[:2] != b"MZ":
        raise SystemExit(f"nupkg.py: --win-x64 {args.win_x64} is not a Windows DLL")
    return files


def content_types(names: list[str]) -> str:
    extensions = sorted({Path(n).suffix.lstrip(".") for n in names} - {""})
    defaults = "".join(f'<Default Extension="{e}" ContentType="{OCTET}" />' for e in extensions)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />'
        '<Default Extension="psmdcp" ContentType="application/vnd.openxmlformats-package.core-properties+xml" />'
        f"{defaults}</Types>"
    )


def relationships(nuspec: str, properties: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/{nuspec}" Id="Rmanifest" />'
        '<Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
        f'Target="/{properties}" Id="Rproperties" /></Relationships>'
    )


def core_properties(version: str, description: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<coreProperties xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">'
        f"<dc:creator>The vidiflow-auth contributors</dc:creator><dc:description>{escape(description)}</dc:description>"
        f"<dc:identifier>{PACKAGE_ID}</dc:identifier><version>{version}</version>"
        "<keywords>oauth2 client-credentials vidiflow</keywords></coreProperties>"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", required=True)
    parser.add_argument("--assembly", type=Path, required=True)
    parser.add_argument("--doc", type=Path, required=True)
    parser.add_argument("--readme", type=Path, required=True)
    parser.add_argument("--linux-x64", type=Path, required=True)
    parser.add_argument("--win-x64", type=Path, help="vidiflow_auth.dll, when a Windows build exists")
    parser.add_argument("--epoch", type=int, default=315532800, help="time stamp of every entry")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    nuspec_text = (HERE / f"{PACKAGE_ID}.nuspec.in").read_text("utf-8").replace("@VERSION@", args.version)
    if "@" in nuspec_text.replace("@VERSION@", ""):
        print("nupkg.py: the nuspec template has an unfilled placeholder", file=sys.stderr)
        return 1
    description = nuspec_text.split("<description>", 1)[1].split("</description>", 1)[0]
    files = package_files(args)
    nuspec = f"{PACKAGE_ID}.nuspec"
    digest = hashlib.sha256(nuspec_text.encode()).hexdigest()[:32]
    properties = f"package/services/metadata/core-properties/{digest}.psmdcp"
    stamp = time.gmtime(max(args.epoch, 315532800))[:6]

    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"{PACKAGE_ID}.{args.version}.nupkg"
    partial = target.with_suffix(".nupkg.tmp")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        def add(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)

        add("_rels/.rels", relationships(nuspec, properties).encode())
        add(nuspec, nuspec_text.encode())
        for name, path in files:
            add(name, path.read_bytes())
        add(properties, core_properties(args.version, description).encode())
        add("[Content_Types].xml", content_types([nuspec, *(n for n, _ in files)]).encode())
    partial.replace(target)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())

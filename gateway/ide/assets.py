"""GraphiQL's browser assets, pinned and served by the gateway itself (no CDN at run time).

`gateway assets` has npm fetch each pinned package from the npm registry (`npm pack`: npm's own
registry, proxy and cache settings, and its check against the integrity the registry publishes),
checks every tarball against the integrity pinned here as a lockfile would, and extracts the few
UMD/CSS files the page needs into a git-ignored directory. Run again, it only re-checks the
files it wrote (their sha256, kept in a manifest), so it is cheap and idempotent.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class NpmAsset:
    """One pinned npm package and the files of its tarball the page loads."""

    name: str
    version: str
    #: Subresource-integrity of the tarball, as npm's lockfiles pin it.
    integrity: str
    files: tuple[str, ...]

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    def url_path(self, file: str) -> str:
        """Where the file is served under the vendor route: versioned, so caches never mix."""
        return f"{self.spec}/{file}"


#: The versions DESIGN fixes: GraphiQL 5 and React 19 ship no UMD builds.
PINNED: tuple[NpmAsset, ...] = (
    NpmAsset(
        "react",
        "18.2.0",
        "sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==",
        ("umd/react.production.min.js",),
    ),
    NpmAsset(
        "react-dom",
        "18.2.0",
        "sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==",
        ("umd/react-dom.production.min.js",),
    ),
    NpmAsset(
        "js-cookie",
        "3.0.5",
        "sha512-cEiJEAEoIbWfCZYKWhVwFuvPX1gETRYPw6LlaTKoxD3s2AkXzkCjnp6h0V77ozyqj0jakteJ4YqDJT830+lVGw==",
        ("dist/js.cookie.min.js",),
    ),
    NpmAsset(
        "graphiql",
        "3.8.3",
        "sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
        ("graphiql.min.js", "graphiql.min.css"),
    ),
    NpmAsset(
        "@graphiql/plugin-explorer",
        "1.0.2",
        "sha512-9j+kg2UjtLZD5EBmGjeWHkoVVxtbShYg2DzbUVebibnZYZM/iMBEF4vaccXJIAm5KaomIPLx0aoNs4LbODyc3Q==",
        ("dist/index.umd.js", "dist/style.css"),
    ),
)


class AssetError(Exception):
    """The assets could not be fetched or did not match their pins; the message says which."""


def missing(directory: Path = VENDOR_DIR) -> list[str]:
    """Files the page needs that are not installed (empty when GraphiQL can be served)."""
    return [
        a.url_path(f) for a in PINNED for f in a.files if not (directory / a.url_path(f)).is_file()
    ]


def _sri_matches(data: bytes, integrity: str) -> bool:
    for token in integrity.split():
        algo, _, digest = token.partition("-")
        if algo in ("sha512", "sha384", "sha256"):
            actual = base64.b64encode(hashlib.new(algo, data).digest()).decode()
            if actual == digest:
                return True
    return False


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_manifest(directory: Path) -> dict[str, str]:
    try:
        data = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _installed(asset: NpmAsset, directory: Path, manifest: dict[str, str]) -> bool:
    for file in asset.files:
        rel = asset.url_path(file)
        path = directory / rel
        if not path.is_file() or manifest.get(rel) != _sha256(path):
            return False
    return True


def _npm_pack(assets: list[NpmAsset], into: Path) -> dict[str, Path]:
    """Tarballs fetched by npm itself (its registry, proxy and cache settings; it checks them
    against the registry's published integrity), keyed by package spec."""
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError("`gateway assets` needs npm (Node.js) to fetch the pinned packages")
    cmd = [npm, "pack", *(a.spec for a in assets), "--json", "--pack-destination", str(into)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise AssetError(f"npm pack failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    try:
        packed = json.loads(done.stdout)
        return {str(p["id"]): into / str(p["filename"]) for p in packed}
    except (ValueError, KeyError, TypeError) as exc:
        raise AssetError(f"npm pack printed no usable --json report: {exc}") from None


def _verified(asset: NpmAsset, tarball: Path) -> bytes:
    data = tarball.read_bytes()
    if not _sri_matches(data, asset.integrity):
        raise AssetError(f"{asset.spec}: tarball does not match its pinned {asset.integrity}")
    return data


def _extract(asset: NpmAsset, tgz: bytes, directory: Path) -> dict[str, str]:
    written: dict[str, str] = {}
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        for file in asset.files:
            # Only the named members are read, into paths we choose: no tar path traversal.
            member = tar.extractfile(f"package/{file}")
            if member is None:
                raise AssetError(f"{asset.spec}: package/{file} is not in the tarball")
            rel = asset.url_path(file)
            target = directory / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".part")
            tmp.write_bytes(member.read())
            tmp.replace(target)
            written[rel] = _sha256(target)
    return written


def install(
    directory: Path = VENDOR_DIR,
    *,
    force: bool = False,
    report: Callable[[str], None] = print,
) -> int:
    """Fetch what is missing or altered; returns how many packages were downloaded."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(directory)
    todo = [a for a in PINNED if force or not _installed(a, directory, manifest)]
    for asset in PINNED:
        report(f"  {asset.spec}: {'fetching' if asset in todo else 'present'}")
    if not todo:
        return 0
    with tempfile.TemporaryDirectory(prefix="gateway-assets-") as tmp:
        tarballs = _npm_pack(todo, Path(tmp))
        for asset in todo:
            tarball = tarballs.get(asset.spec)
            if tarball is None:
                raise AssetError(f"npm pack did not fetch {asset.spec}")
            manifest.update(_extract(asset, _verified(asset, tarball), directory))
            (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return len(todo)

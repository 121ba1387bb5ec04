"""`gateway assets`: idempotent, pinned, and refusing anything that does not match its pin."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.ide import assets


def fake_npm(bin_dir: Path, content: bytes) -> Path:
    """An `npm` that packs tarballs of `content` and logs its calls (the registry is not
    reachable from tests)."""
    log = bin_dir / "npm.log"
    script = bin_dir / "npm"
    script.write_text(
        f"""#!/usr/bin/env python3
import io, json, sys, tarfile
from pathlib import Path
args = sys.argv[1:]
open({str(log)!r}, "a").write(" ".join(args) + "\\n")
dest = Path(args[args.index("--pack-destination") + 1])
specs = [a for a in args[1:] if not a.startswith("--") and a != str(dest)]
out = []
for spec in specs:
    name = spec.replace("@", "_").replace("/", "_") + ".tgz"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = {content!r}
        info = tarfile.TarInfo("package/any.js")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    (dest / name).write_bytes(buf.getvalue())
    out.append({{"id": spec, "filename": name}})
print(json.dumps(out))
"""
    )
    script.chmod(0o755)
    return log


def test_installed_assets_are_left_alone_without_asking_npm(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert assets.missing() == [], "run `gateway assets` (scripts/test.sh does)"
    monkeypatch.setenv("PATH", "/nonexistent")  # any npm call would fail
    assert main(["assets"]) == 0
    out = capsys.readouterr().out
    assert out.count(": present") == len(assets.PINNED)
    assert "nothing to fetch" in out


def test_pinned_versions_are_designs() -> None:
    assert {a.spec for a in assets.PINNED} == {
        "graphiql@3.8.3",
        "react@18.2.0",
        "react-dom@18.2.0",
        "js-cookie@3.0.5",
        "@graphiql/plugin-explorer@1.0.2",
    }


def test_a_tarball_not_matching_its_pin_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = fake_npm(bin_dir, b"alert('not react')")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    dest = tmp_path / "vendor"
    assert main(["assets", "--dest", str(dest)]) == 1
    assert "does not match its pinned sha512-" in capsys.readouterr().err
    assert "pack react@18.2.0" in log.read_text()
    assert not any(p.suffix == ".js" for p in dest.rglob("*")), "nothing unverified is kept"


def test_without_npm_the_error_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["assets", "--dest", str(tmp_path / "v")]) == 1
    assert "needs npm" in capsys.readouterr().err


def test_an_altered_file_is_fetched_again(tmp_path: Path) -> None:
    """The manifest's sha256 catches a file changed after install (it would be re-fetched)."""
    installed = assets.VENDOR_DIR
    manifest = json.loads((installed / assets.MANIFEST).read_text())
    copy = tmp_path / "vendor"
    for rel in manifest:
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        (copy / rel).write_bytes((installed / rel).read_bytes())
    (copy / assets.MANIFEST).write_text(json.dumps(manifest))
    react = assets.PINNED[0]
    assert assets._installed(react, copy, manifest)
    (copy / react.url_path(react.files[0])).write_bytes(b"tampered")
    assert not assets._installed(react, copy, manifest)


def test_sri_check_accepts_only_the_right_digest() -> None:
    data = b"x" * 100
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz"):
        pass
    assert not assets._sri_matches(data, assets.PINNED[0].integrity)
    import base64
    import hashlib

    good = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    assert assets._sri_matches(data, good)

"""The dependency lock: every dependency pinned with hashes, the pins are what this environment
(the one the suite runs in) has installed, and every installer uses it."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)")


def _lock(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / f"{name}.txt").read_text()
    pins: dict[str, str] = {}
    for block in text.replace("\\\n", " ").splitlines():
        found = PIN.match(block)
        if found:
            assert "--hash=sha256:" in block, f"{found.group(1)} is pinned without a hash"
            pins[canonicalize_name(found.group(1))] = found.group(2)
    return pins


def _declared() -> tuple[list[Requirement], list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    main = [Requirement(r) for r in project["dependencies"]]
    dev = [Requirement(r) for r in project["optional-dependencies"]["dev"]]
    return main, dev


def test_every_declared_dependency_is_locked_within_its_range() -> None:
    """Fails when pyproject.toml gained or changed a dependency: run `bash scripts/lock.sh`."""
    main, dev = _declared()
    main_lock, dev_lock = _lock("main"), _lock("dev")
    for locked, declared in ((main_lock, main), (dev_lock, [*main, *dev])):
        for req in declared:
            name = canonicalize_name(req.name)
            assert name in locked, f"{req.name} is not in the lock: run `bash scripts/lock.sh`"
            assert req.specifier.contains(locked[name], prereleases=True), (req, locked[name])
    for name, version in main_lock.items():
        assert dev_lock.get(name) == version, f"{name}: main and dev locks disagree"


def test_the_suite_runs_on_what_the_lock_pins() -> None:
    """The environment these tests run in is the lock's (setup.sh installs from it)."""
    for name, version in _lock("dev").items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # a package whose marker excludes this interpreter
        assert installed == version, f"{name} {installed} installed, {version} locked"


def test_strawberry_is_bounded_to_the_tested_minor() -> None:
    """schema/fastpath.py reaches into Strawberry's internals: no unseen release may slip in."""
    main, _ = _declared()
    [strawberry] = [r for r in main if r.name == "strawberry-graphql"]
    assert any(spec.operator == "<" for spec in strawberry.specifier), strawberry


def test_installers_use_the_hashed_lock() -> None:
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert '--require-hashes -r "requirements/$which.txt"' in setup
    docker = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "pip install --require-hashes -r requirements/main.txt" in docker
    assert "pip install --no-deps ." in docker
    demo = (ROOT / "scripts" / "demo.sh").read_text()
    assert "scripts/setup.sh main" in demo

"""The lock files agree with pyproject.toml, so `make install` gives what the project declares."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def locked(name: str) -> dict[str, str]:
    """Package -> pinned version in this lock file, for this interpreter and platform."""
    versions: dict[str, str] = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        if not line or line[0] in " #-":
            continue
        requirement = Requirement(line.removesuffix("\\").strip())
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        (pin,) = requirement.specifier
        assert pin.operator == "==", line
        versions[canonicalize_name(requirement.name)] = pin.version
    return versions


def declared(*, dev: bool) -> list[Requirement]:
    project = PYPROJECT["project"]
    names = project["dependencies"] + (project["optional-dependencies"]["dev"] if dev else [])
    return [Requirement(text) for text in names]


@pytest.mark.parametrize(
    ("lock_file", "dev"), [("requirements.lock", False), ("requirements-dev.lock", True)]
)
def test_every_declared_dependency_is_locked_within_its_range(lock_file: str, dev: bool) -> None:
    pins = locked(lock_file)
    stale = []
    for requirement in declared(dev=dev):
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None or pin not in requirement.specifier:
            stale.append(f"{requirement} (locked: {pin})")
    assert not stale, f"pyproject.toml changed since {lock_file}: run `make lock`. {stale}"


def test_every_dependency_has_an_upper_bound() -> None:
    # A new major release must be a decision (and a `make lock`), not a surprise.
    unbounded = [
        str(requirement)
        for requirement in declared(dev=True)
        if not any(spec.operator in ("<", "<=", "==", "~=") for spec in requirement.specifier)
    ]
    assert not unbounded

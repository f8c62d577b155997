"""requirements.lock is what `make setup` installs (with --no-deps): it must hold every package
pyproject.toml asks for, at a version pyproject.toml allows, and agree with the llama.cpp build
script on llama-cpp-python. A dependency added without re-locking fails here, not on a user's
machine."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(r) for r in project["dependencies"]]
    for extra in ("local", "qwen", "dev"):
        wanted += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return wanted


def test_every_declared_dependency_is_pinned_at_an_allowed_version():
    pins = lock_pins()
    for req in declared():
        name = canonicalize_name(req.name)
        if name == "llama-cpp-python":
            continue  # built by scripts/install-llama.sh, checked below
        assert name in pins, f"{req.name} is not in requirements.lock: run scripts/lock.sh"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {req.name}=={pins[name]}, pyproject.toml wants {req}"
        )


def test_the_llama_cpp_build_script_installs_the_declared_version():
    script = (REPO / "scripts" / "install-llama.sh").read_text()
    version = re.search(r"^VERSION=(\S+)$", script, re.M).group(1)
    (local,) = [r for r in declared() if canonicalize_name(r.name) == "llama-cpp-python"]
    assert local.specifier.contains(version)
    assert "llama-cpp-python" not in lock_pins()  # one place pins it, the script


def test_every_pin_is_exact():
    for line in (REPO / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[A-Za-z0-9_.+\-]+", line), line

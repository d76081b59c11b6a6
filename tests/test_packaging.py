"""The installed set is the pinned set: constraints.txt pins every dependency, and make install used it."""

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

from conftest import ROOT


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, pinned = line.partition("==")
            assert pinned, f"constraints.txt: {line!r} is not pinned with =="
            pins[re.sub(r"[-_.]+", "-", name).lower()] = pinned.strip()
    return pins


def _declared() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = project["dependencies"] + project["optional-dependencies"]["dev"]
    return [re.sub(r"[-_.]+", "-", re.split(r"[<>=!~ \[;]", n)[0]).lower() for n in names]


def test_every_declared_package_is_pinned():
    pins = _pins()
    assert [name for name in _declared() if name not in pins] == []


def test_the_installed_versions_are_the_pinned_ones():
    mismatched = {
        name: (pinned, version(name)) for name, pinned in _pins().items() if version(name) != pinned
    }
    assert mismatched == {}, "run make install (or make lock to move the pins)"


def test_make_install_uses_the_constraints_and_ci_lints():
    makefile = (ROOT / "Makefile").read_text()
    assert "-c constraints.txt" in makefile and "\nlock:" in makefile
    assert "make lint" in (ROOT / ".ci" / "run").read_text() and Path(ROOT / "constraints.txt").exists()

"""machine.py: what a run records about where it ran."""

import json
import re
import subprocess

from circles_hinge.store import machine
from circles_hinge.store.machine import VECTOR_FLAGS, git_state, packages_hash, vector_extensions


def test_vector_extensions_are_read_from_the_cpu_flags():
    flags = open("/proc/cpuinfo").read()
    have = set(re.search(r"^flags\s*:(.*)$", flags, re.M).group(1).split())
    assert vector_extensions() == [f for f in VECTOR_FLAGS if f in have]


def test_git_state_is_this_checkout():
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    state = git_state()
    assert state["git_commit"] == head
    assert isinstance(state["git_dirty"], bool)


def test_the_package_hash_changes_with_the_package_set(monkeypatch):
    before = packages_hash()
    assert re.fullmatch(r"[0-9a-f]{64}", before) and packages_hash() == before
    real = list(machine.distributions())
    dropped = real[0].metadata["Name"].lower()  # every copy of it: a venv may list a package twice
    monkeypatch.setattr(
        machine, "distributions", lambda: [d for d in real if (d.metadata["Name"] or "").lower() != dropped]
    )
    assert packages_hash() != before


def test_a_run_records_its_machine(tmp_path):
    """metrics.json says where it ran: CPU, its vector extensions, oneDNN, OS, commit, package hash."""
    from conftest import TINY

    from circles_hinge.loading import load_config
    from circles_hinge.studies.experiment import run_experiment

    result = run_experiment(load_config(TINY), tmp_path)
    recorded = json.loads((result.path / "metrics.json").read_text())["machine"]
    assert recorded["cpu_vector_extensions"] == vector_extensions()
    assert recorded["tensorflow_build"]["onednn"] in (True, False)
    assert recorded["packages_sha256"] == packages_hash()
    assert recorded["git_commit"] == git_state()["git_commit"]
    assert recorded["os"] and recorded["cpu"]

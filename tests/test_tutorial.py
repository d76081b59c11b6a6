"""docs/tutorial.ipynb runs from top to bottom, and the outputs it shows are what it prints when run.

`make tutorial` (`python tests/test_tutorial.py --write`) executes it and stores the outputs; this test
executes it again, on the tiny config, and fails when the stored outputs are no longer what it prints.

The trainer rounds as this machine's `model.fit` does (engine/dense.py), so, like stock Keras', its
numbers can move on another CPU (AVX2 against AVX-512) or with oneDNN off. The notebook records the
machine that stored its outputs; on that machine every character must match, elsewhere every line up
to its first digit (the same cells, lines and words, numbers free)."""

import copy
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"


def execute(runs: Path):
    """The notebook executed from the repository's root, its folders in `runs`."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    os.environ["TUTORIAL_RUNS"] = str(runs)
    try:
        NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
        ).execute()
    finally:
        os.environ.pop("TUTORIAL_RUNS", None)
    return nb


def printed(nb) -> list[str]:
    """Each code cell's text output, without what differs between runs: the version, folder names with a
    time in them, and the runs folder."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        text = re.sub(r"^\d+\.\d+\.\d+\S*$", "<version>", text, flags=re.M)
        out.append(text)
    return out


def rounding_machine() -> dict:
    """What decides how training rounds here: the CPU, its vector extensions and whether oneDNN is on."""
    from circles_hinge.store.machine import cpu_model, vector_extensions

    return {
        "cpu": cpu_model(),
        "cpu_vector_extensions": vector_extensions(),
        "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", ""),
    }


def up_to_digits(cells: list[str]) -> list[list[str]]:
    """Each line of each cell's output up to its first digit."""
    return [[re.split(r"\d", line, maxsplit=1)[0] for line in text.splitlines()] for text in cells]


@pytest.mark.slow
def test_the_tutorial_runs_and_shows_what_it_prints(tmp_path):
    import nbformat

    stored = nbformat.read(NOTEBOOK, as_version=4)
    fresh = execute(tmp_path / "runs")
    errors = [o for c in fresh.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    stale = "docs/tutorial.ipynb is stale: run `make tutorial`"
    if stored.metadata.get("circles_hinge", {}).get("stored_on") == rounding_machine():
        assert printed(fresh) == printed(stored), stale
    else:
        assert up_to_digits(printed(fresh)) == up_to_digits(printed(stored)), stale
    assert (tmp_path / "runs" / "study-tiny" / "report.html").is_file()
    assert any(p.suffix == ".html" and p.name.startswith("compare-") for p in (tmp_path / "runs").iterdir())


if __name__ == "__main__":  # make tutorial: execute and store the outputs
    import tempfile

    import nbformat

    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_tutorial.py --write")
    with tempfile.TemporaryDirectory() as runs:
        nb = execute(Path(runs))
    for cell in nb.cells:  # keep text outputs only: the stored notebook stays small and reviewable
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if o.get("output_type") == "stream"]
            cell.metadata = {}
    nb.metadata = copy.deepcopy(nbformat.read(NOTEBOOK, as_version=4).metadata)
    nb.metadata["circles_hinge"] = {"stored_on": rounding_machine()}
    nbformat.write(nb, NOTEBOOK)
    print(f"wrote {NOTEBOOK}")

"""report.html for every run, comparison and sweep folder, and index.html for a folder of runs: plain
HTML, CSS and canvas in one self-contained file each (no network, no library). The replay computes f(x)
in the browser from the weights recorded at every epoch."""

import os
from contextlib import contextmanager
from pathlib import Path

from circles_hinge.errors import ConfigError, RunDirError
from circles_hinge.files import FileProblem, load_json
from circles_hinge.outputs.html.index import ensure_thumbnail, write_index
from circles_hinge.outputs.html.page import INDEX_FILE, REPORT_FILE, read_data
from circles_hinge.outputs.html.run import NoReport, rebuild_run_report, write_run_report
from circles_hinge.outputs.html.studies import write_comparison_report, write_sweep_report
from circles_hinge.reports import ComparisonReport, SweepReport
from circles_hinge.store.folders import read_json
from circles_hinge.store.listing import list_runs, summarise_folder

__all__ = [
    "INDEX_FILE",
    "REPORT_FILE",
    "NoReport",
    "read_data",
    "rebuild",
    "rebuild_run_report",
    "write_comparison_report",
    "write_index",
    "write_run_report",
    "write_sweep_report",
]


def rebuild(folder: Path) -> Path:
    """`circles-hinge report FOLDER`: a run's, comparison's or sweep's report.html again from its files;
    for a folder of runs, its index.html. Returns the page written. NoReport (one line) for a folder
    that cannot have one, saying why; RunDirError when the page cannot be written."""
    folder = Path(folder)
    try:
        names = set(os.listdir(folder))
    except FileNotFoundError:
        raise NoReport(f"{folder} does not exist") from None
    except NotADirectoryError:
        raise NoReport(f"{folder} is not a folder") from None
    except OSError as exc:
        raise NoReport(f"{folder} cannot be read: {exc.strerror or exc}") from None
    kind = (read_json(folder / "status.json") or {}).get("kind")
    if kind is None:
        files = (("run", "metrics.json"), ("compare", "comparison.json"), ("sweep", "sweep.json"))
        kind = next((k for k, f in files if f in names), None)
    try:
        ensure_thumbnail(folder, kind)  # a folder made before thumbnails, for the index
        return _rebuild(folder, kind, names)
    except OSError as exc:  # a read-only folder or a full disk: the page was not written
        where = exc.filename or folder
        raise RunDirError(
            f"{where} could not be written: {exc.strerror or exc}; nothing was changed"
        ) from None


def _study_report(folder: Path, name: str, kind):
    """comparison.json or sweep.json, typed, or NoReport saying what is wrong with it and the folder's
    status."""
    try:
        raw = load_json(folder / name)
    except FileProblem as exc:
        summary = summarise_folder(folder)
        status = summary.status if summary is not None else "unknown"
        raise NoReport(f"{folder} has no report to write: {name} {exc.why} (its status: {status})") from None
    try:
        return kind.from_json(raw, str(folder / name))
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, ConfigError) as exc:
        raise NoReport(
            f"{folder / name} does not hold what its report shows ({type(exc).__name__}: {exc}); "
            "it may be damaged or from another version"
        ) from None


@contextmanager
def _damaged(folder: Path, name: str):
    """A JSON that parses but lacks what the page shows (edited by hand, or from another version)."""
    try:
        yield
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise NoReport(
            f"{folder / name} does not hold what its report shows ({type(exc).__name__}: {exc}); "
            "it may be damaged or from another version"
        ) from None


def _rebuild(folder: Path, kind: str | None, names: set[str]) -> Path:
    if kind == "run":
        return rebuild_run_report(folder)
    if kind == "compare":
        report = _study_report(folder, "comparison.json", ComparisonReport)
        with _damaged(folder, "comparison.json"):
            for row in report.runs:  # a run made before report.html existed gets its own page first
                run = folder / row.run
                if not (run / REPORT_FILE).is_file() and (run / "metrics.json").is_file():
                    rebuild_run_report(run)
            return write_comparison_report(folder, report)
    if kind == "sweep":
        report = _study_report(folder, "sweep.json", SweepReport)
        with _damaged(folder, "sweep.json"):
            return write_sweep_report(folder, report)
    if not list_runs(folder) and INDEX_FILE not in names:
        raise NoReport(
            f"{folder} is not a run, comparison or sweep folder, and holds none to index; "
            "give one of those, or the --runs-dir they are in"
        )
    return write_index(folder)

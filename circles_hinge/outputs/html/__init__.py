"""report.html for every run, comparison and sweep folder, and index.html for a folder of runs: plain
HTML, CSS and canvas in one self-contained file each (no network, no library). The replay computes f(x)
in the browser from the weights recorded at every epoch."""

from pathlib import Path

from circles_hinge.outputs.html.index import ensure_thumbnail, write_index
from circles_hinge.outputs.html.page import INDEX_FILE, REPORT_FILE, read_data
from circles_hinge.outputs.html.run import NoReport, rebuild_run_report, write_run_report
from circles_hinge.outputs.html.studies import write_comparison_report, write_sweep_report
from circles_hinge.store.folders import read_json
from circles_hinge.store.listing import list_runs

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
    for a folder of runs, its index.html. Returns the page written."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NoReport(f"{folder} is not a folder")
    kind = (read_json(folder / "status.json") or {}).get("kind")
    if kind is None:
        kind = next(
            (
                k
                for k, f in (("run", "metrics.json"), ("compare", "comparison.json"), ("sweep", "sweep.json"))
                if (folder / f).is_file()
            ),
            None,
        )
    ensure_thumbnail(folder, kind)  # a folder made before thumbnails, for the index
    if kind == "run":
        return rebuild_run_report(folder)
    if kind == "compare":
        report = read_json(folder / "comparison.json")
        if report is None:
            raise NoReport(f"{folder} has no comparison.json: the comparison did not finish")
        for run in (report.get("files") or {}).get("runs", {}).values():  # made before report.html
            if not (folder / run / REPORT_FILE).is_file() and (folder / run / "metrics.json").is_file():
                rebuild_run_report(folder / run)
        return write_comparison_report(folder, report)
    if kind == "sweep":
        report = read_json(folder / "sweep.json")
        if report is None:
            raise NoReport(f"{folder} has no sweep.json: the sweep did not finish")
        return write_sweep_report(folder, report)
    if not list_runs(folder) and not (folder / INDEX_FILE).is_file():
        raise NoReport(
            f"{folder} is not a run, comparison or sweep folder, and holds none to index; "
            "give one of those, or the --runs-dir they are in"
        )
    return write_index(folder)

"""report.html for every run, comparison and sweep folder, and index.html for a folder of runs: plain
HTML, CSS and canvas in one self-contained file each (no network, no library). The replay computes f(x)
in the browser from the weights recorded at every epoch."""

from pathlib import Path

from circles_hinge.errors import ConfigError
from circles_hinge.outputs.html.index import ensure_thumbnail, write_index
from circles_hinge.outputs.html.page import INDEX_FILE, REPORT_FILE, read_data
from circles_hinge.outputs.html.run import NoReport, rebuild_run_report, write_run_report
from circles_hinge.outputs.html.studies import write_comparison_report, write_sweep_report
from circles_hinge.reports import ComparisonReport, SweepReport
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
        report = _read_report(folder, "comparison.json", ComparisonReport, "the comparison did not finish")
        for row in report.runs:  # a run made before report.html existed gets its own page first
            if (
                not (folder / row.run / REPORT_FILE).is_file()
                and (folder / row.run / "metrics.json").is_file()
            ):
                rebuild_run_report(folder / row.run)
        return write_comparison_report(folder, report)
    if kind == "sweep":
        return write_sweep_report(
            folder, _read_report(folder, "sweep.json", SweepReport, "the sweep did not finish")
        )
    if not list_runs(folder) and not (folder / INDEX_FILE).is_file():
        raise NoReport(
            f"{folder} is not a run, comparison or sweep folder, and holds none to index; "
            "give one of those, or the --runs-dir they are in"
        )
    return write_index(folder)


def _read_report(folder: Path, name: str, kind, unfinished: str):
    """comparison.json or sweep.json, typed; NoReport with one line when it is missing or not one."""
    raw = read_json(folder / name)
    if raw is None:
        raise NoReport(f"{folder} has no {name}: {unfinished}")
    try:
        return kind.from_json(raw, str(folder / name))
    except (KeyError, TypeError, ValueError, IndexError, ConfigError) as exc:
        raise NoReport(f"{folder / name} is not a report this version can read ({exc})") from None

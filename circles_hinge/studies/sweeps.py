"""Grid sweeps: a seed study of every loss at each cell of a grid of config values (the cross product
of one or more `KEY=V1,V2,...` axes), the whole grid checked before anything runs; writes sweep.json,
sweep.csv (a row per cell and loss), seeds.csv (a row per training), sweep.png and sweep.md.

Cells that differ only in their data (data.noise, data.factor) train as one batch of replicas, each
with its own data; cells that change the graph (the loss, widths, epochs, batch size, ...) form
separate groups, which `workers` processes train side by side. `shard=(i, n)` trains the i-th of n
disjoint parts of the grid; `merge_shards` puts the parts together into the folder one run would
have made. Each finished batch is kept as it finishes (resume.json, and its rows in sweep.csv and
seeds.csv), so an interrupted sweep keeps them and `resume_sweep` finishes it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from circles_hinge.config import dump_yaml
from circles_hinge.engine.runtime import load_tensorflow, seed_everything
from circles_hinge.outputs import study_plots
from circles_hinge.outputs.html import write_sweep_report
from circles_hinge.outputs.markdown import sweep_markdown
from circles_hinge.reports import CellResult, Partial, SweepReport
from circles_hinge.results import Paired, SeedRow
from circles_hinge.store.folders import (
    create_run_dir,
    make_reserve,
    prepare_runs_dir,
    read_json,
    run_folder,
    write_atomic,
    write_csv,
    write_json,
)
from circles_hinge.store.machine import machine, tensorflow_build, versions
from circles_hinge.studies.grid import (
    DATA_ONLY_KEYS,
    RESUME_FILE,
    Grid,
    Unit,
    default_name,
    sweep_epochs,
)
from circles_hinge.studies.seeds import (
    Progress,
    ProgressCounter,
    seeds_label,
    summarise_seeds,
    train_cells,
)
from circles_hinge.studies.verdicts import pair_all

if TYPE_CHECKING:
    from circles_hinge.studies.door import MergePlan, ResumePlan, SweepPlan


# ---------------------------------------------------------------------------------------------------
# Running


@dataclass
class SweepResult:
    path: Path
    report: SweepReport


def run_grid(
    grid: Grid,
    runs_dir: Path,
    name: str | None = None,
    on_progress: Progress | None = None,
    workers: int = 1,
) -> SweepResult:
    """Train a checked grid into a new folder under runs_dir (see the module's docstring)."""
    path = create_run_dir(runs_dir, name or default_name(grid), exact=name is not None)
    record = {**grid.request(), "done": [], "seconds": 0.0}
    return _sweep(path, grid, record, on_progress, workers)


def run_sweep(plan: SweepPlan, on_progress: Progress | None = None) -> SweepResult:
    """`sweep` as the door planned it (`door.plan_sweep`): the runs folder, then the grid."""
    prepare_runs_dir(plan.runs_dir)
    return run_grid(plan.grid, plan.runs_dir, plan.name, on_progress, plan.workers)


def resume_sweep(plan: ResumePlan, on_progress: Progress | None = None) -> SweepResult:
    """Finish an interrupted (or dead or failed) sweep in its own folder (`door.plan_resume`): the cells
    it finished are kept, the others trained; the files are those an uninterrupted sweep writes
    (timings aside)."""
    make_reserve(plan.folder, new_folder=False)
    started = str(plan.status.get("started", ""))
    return _sweep(plan.folder, plan.grid, plan.record, on_progress, plan.workers, started=started)


def _sweep(
    path: Path,
    grid: Grid,
    record: dict[str, Any],
    on_progress: Progress | None,
    workers: int,
    started: str = "",
) -> SweepResult:
    start = time.perf_counter() - record["seconds"]
    finished = [CellResult.from_json(d, grid.keys) for d in record["done"]]
    done = {(d.cell, d.loss): d for d in finished}
    todo = [u for u in grid.shard_units() if u not in done]
    batches = grid.batches(todo)
    workers = max(1, min(workers, len(batches)))
    counter = ProgressCounter(sweep_epochs(grid), on_progress)
    finished_before = sweep_epochs(grid) - sum(grid.epochs(b[:1]) for b in batches)
    if finished_before:
        counter("finished before", finished_before)
    with run_folder(path, "sweep", started) as folder:
        if not (path / "config.yaml").exists():
            write_atomic(path / "config.yaml", dump_yaml(grid.config))
        write_json(path / RESUME_FILE, record)

        def keep(batch: list[CellResult]) -> None:
            """A batch's cells, kept at once: resume.json first (what a resume reads), then the rows."""
            for entry in batch:
                done[(entry.cell, entry.loss)] = entry
            record["done"] = [done[u].to_json() for u in grid.shard_units() if u in done]
            record["seconds"] = round(time.perf_counter() - start, 3)
            write_json(path / RESUME_FILE, record)
            _write_tables(path, [done[u] for u in grid.shard_units() if u in done])
            folder.running(stage="training", done=f"{len(done)} of {len(grid.shard_units())} studies")

        build = None  # trained here: machine() reads this process's TensorFlow
        if workers == 1:
            counter("loading TensorFlow")
            _train_here(grid, batches, keep, counter)
        else:
            counter(f"starting {workers} worker processes")
            build = _train_in_workers(grid, batches, keep, counter, workers)
        folder.running(stage="writing")
        counter("drawing sweep.png")
        kept = [done[u] for u in grid.shard_units() if u in done]
        report = _report(grid, kept, time.perf_counter() - start, workers, build)
        _write_outputs(path, report)
        (path / RESUME_FILE).unlink(missing_ok=True)
        folder.complete()
    return SweepResult(path, report)


def _train_batch(grid: Grid, batch: list[Unit], progress: Callable[[str, int], None]) -> list[CellResult]:
    """One batch of cells of one loss, trained at once: a finished entry per unit."""
    configs = [grid.configs[c][loss] for c, loss in batch]
    where = ", ".join(
        f"{key}={grid.cells[batch[0][0]][key]}" for key in grid.keys if key not in DATA_ONLY_KEYS
    )
    label = f"{where}: " if where else ""
    out = []
    for (c, loss), (rows, constants) in zip(
        batch, train_cells(configs, grid.seed_list, progress, label, grid.success), strict=True
    ):
        cell = grid.cells[c]
        summary = summarise_seeds(loss, rows, None, constants, cell)  # a batch trains together: no time
        out.append(CellResult(c, loss, summary, [row.to_row(cell) for row in rows]))
    return out


def _train_here(grid: Grid, batches: list[list[Unit]], keep, counter: ProgressCounter) -> None:
    load_tensorflow()
    seed_everything(grid.config.seed)
    for batch in batches:
        keep(_train_batch(grid, batch, counter))


def _worker(grid: Grid, batch: list[Unit], queue) -> tuple[list[CellResult], dict[str, Any]]:
    """A worker process's job: one batch, its progress sent to the parent through `queue`; returns its
    cells and the TensorFlow build that trained them (the parent never loads TensorFlow)."""
    load_tensorflow()  # one thread, as in the parent
    seed_everything(grid.config.seed)
    cells = _train_batch(grid, batch, lambda stage, step=0: queue.put((stage, step)))
    return cells, tensorflow_build()


def _train_in_workers(
    grid: Grid, batches: list[list[Unit]], keep, counter: ProgressCounter, workers: int
) -> dict[str, Any] | None:
    """The batches in `workers` processes (joblib's loky: fresh interpreters, so each TensorFlow
    starts on one thread); each batch trains exactly as it would here, so the rows are the same.
    Returns the workers' TensorFlow build, for sweep.json's record of the machine."""
    import multiprocessing

    from joblib import Parallel, delayed

    with multiprocessing.Manager() as manager:
        queue = manager.Queue()
        with _relay(queue, counter):
            jobs = (delayed(_worker)(grid, batch, queue) for batch in batches)
            parallel, builds = Parallel(n_jobs=workers, backend="loky", return_as="generator_unordered"), []
            for cells, build in parallel(jobs):
                keep(cells)
                builds.append(build)
    return builds[0] if builds else None


@contextmanager
def _relay(queue, counter: ProgressCounter) -> Iterator[None]:
    """Pass the workers' progress messages on to `counter`, from a thread, until the block ends."""
    stop = threading.Event()

    def pump() -> None:
        while not stop.is_set():
            try:
                stage, step = queue.get(timeout=0.2)
            except Exception:  # queue.Empty, or the manager shutting down
                continue
            counter(stage, step)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=1)


# ---------------------------------------------------------------------------------------------------
# Writing


def _write_tables(path: Path, done: list[CellResult]) -> None:
    if done:
        write_csv(path / "sweep.csv", [_flat(d.summary.to_json()) for d in done])
        write_csv(path / "seeds.csv", [row for d in done for row in d.seed_rows])


def _report(
    grid: Grid,
    done: list[CellResult],
    seconds: float,
    workers: int | None,
    build: dict[str, Any] | None = None,
) -> SweepReport:
    return SweepReport(
        grid=[(key, list(values)) for key, values in grid.axes],
        losses=grid.losses,
        seeds_label=seeds_label(grid.seed_list),
        n_seeds=len(grid.seed_list),
        success_accuracy=grid.success,
        shard=None if grid.shard is None else list(grid.shard),
        units=[[d.cell, d.loss] for d in done],
        results=[d.summary for d in done],
        paired=_paired(grid, done),
        seconds=round(seconds, 3),
        workers=workers,  # processes this run trained in (None: merged from shards)
        files={"picture": "sweep.png", "table": "sweep.csv", "per_seed": "seeds.csv", "summary": "sweep.md"},
        config=grid.config,
        versions=versions(),
        machine=machine(build),
    )


def _paired(grid: Grid, done: list[CellResult]) -> list[Paired]:
    """Every pair of losses in every cell that holds more than one (a shard may hold one loss of a
    cell): the verdicts, from each seed's row."""
    by_cell: dict[int, dict[str, list[SeedRow]]] = {}
    for d in done:
        by_cell.setdefault(d.cell, {})[d.loss] = [SeedRow.from_row(row) for row in d.seed_rows]
    return [p for c, rows in by_cell.items() if len(rows) > 1 for p in pair_all(rows, grid.cells[c])]


def _write_outputs(path: Path, report: SweepReport) -> None:
    study_plots.plot_grid(path / "sweep.png", report)
    markdown = sweep_markdown(report)
    if report.partial is not None:  # said first, with the commands that would make the rest
        commands = "".join(f"    {c}\n" for c in report.partial.commands)
        markdown = f"**{report.part}.** The commands that would make them:\n\n{commands}\n{markdown}"
    write_atomic(path / "sweep.md", markdown)
    write_json(path / "sweep.json", report.to_json())
    write_sweep_report(path, report)  # report.html: the interactive success-rate chart


def _flat(result: dict[str, Any]) -> dict[str, Any]:
    """A result object as one CSV row: lists become `lo hi` columns or a space-separated field."""
    row = {}
    for key, value in result.items():
        if key in ("success_ci95", "test_accuracy_ci95"):
            row[f"{key}_lo"], row[f"{key}_hi"] = value
        elif isinstance(value, list):
            row[key] = " ".join(map(str, value))
        else:
            row[key] = value
    return row


# ---------------------------------------------------------------------------------------------------
# Merging the shards of one sweep


def merge_shards(plan: MergePlan) -> SweepResult:
    """One sweep folder from its shards (`door.plan_merge`): sweep.csv and seeds.csv byte for byte
    those of one run, and its picture, tables and reports drawn from them."""
    grid, done, folders, parts = plan.grid, plan.entries, plan.folders, plan.parts
    partial = parts is not None and bool(parts.missing)
    prepare_runs_dir(plan.runs_dir)
    seconds = sum((read_json(f / "sweep.json") or {}).get("seconds", 0.0) for f in folders)
    stem = default_name(grid) + ("-partial" if partial else "")
    path = create_run_dir(plan.runs_dir, plan.name or stem, exact=plan.name is not None)
    with run_folder(path, "sweep") as folder:
        write_atomic(path / "config.yaml", dump_yaml(grid.config))
        _write_tables(path, done)
        report = _report(grid, done, seconds, workers=None)
        report.merged_from = [str(f) for f in folders]
        if partial:
            report.partial = Partial(
                shards=sorted(i for i in range(1, parts.n + 1) if i not in parts.missing),
                of=parts.n,
                missing=parts.missing,
                commands=parts.commands,
            )
        _write_outputs(path, report)
        folder.complete()
    return SweepResult(path, report)

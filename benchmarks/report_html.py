"""What report.html and index.html add to `circles-hinge train`: recording the weights every epoch,
writing report.html, and rewriting the runs folder's index.html (with 1 and with 100 folders in it).

    python benchmarks/report_html.py [--repeats 7]

Trains the default config once (to have a real run folder), then times each step on its files
(median of --repeats) and prints the page sizes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def median_seconds(step, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    import numpy as np

    from circles_hinge.engine.data import load_split
    from circles_hinge.engine.model import initial_weights
    from circles_hinge.engine.recorder import WeightRecorder
    from circles_hinge.engine.trainer import ReplicaTrainer
    from circles_hinge.loading import load_config
    from circles_hinge.outputs.html import (
        REPORT_FILE,
        read_data,
        write_index,
        write_run_report,
    )
    from circles_hinge.outputs.html.run import read_history
    from circles_hinge.store.folders import read_json
    from circles_hinge.studies.experiment import run_experiment

    config = load_config(None)
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        path = run_experiment(config, runs).path
        split = load_split(config.data, config.seed, config.training.validation_split)
        metrics = read_json(path / "metrics.json")
        history = read_history(path / "history.csv")
        frames = [
            (f["epoch"], np.array(f["theta"], np.float32))
            for f in read_data(path / REPORT_FILE)["replays"][0]["frames"]
        ]

        trainer = ReplicaTrainer(config, [split], [initial_weights(config, config.seed)])

        def record() -> None:
            recorder = WeightRecorder(config.training.epochs)
            recorder.start(trainer)
            for epoch in range(1, config.training.epochs + 1):
                recorder.capture(trainer, epoch)

        recording = median_seconds(record, args.repeats)
        report = median_seconds(
            lambda: write_run_report(path, config, split, history, metrics, frames), args.repeats
        )
        index_1 = median_seconds(lambda: write_index(runs), args.repeats)
        for i in range(99):
            shutil.copytree(path, runs / f"copy-{i:02d}")
        index_100 = median_seconds(lambda: write_index(runs), args.repeats)
        size = (path / REPORT_FILE).stat().st_size
        index_size = (runs / "index.html").stat().st_size

    added, added_100 = recording + report + index_1, recording + report + index_100
    print(f"recording the weights of {config.training.epochs} epochs: {recording * 1000:.2f} ms")
    print(f"writing report.html ({size:,} bytes): {report * 1000:.1f} ms")
    print(f"rewriting index.html, 1 folder: {index_1 * 1000:.1f} ms")
    print(f"rewriting index.html, 100 folders ({index_size:,} bytes): {index_100 * 1000:.1f} ms")
    print(f"added to `train`: {added * 1000:.0f} ms; with 100 folders beside it {added_100 * 1000:.0f} ms")
    print("budget: 300 ms")


if __name__ == "__main__":
    main()

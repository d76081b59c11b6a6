"""sweeps.py: a bad value refused before any folder, a tiny sweep and grid end to end, a grid cell equal
to a study of that cell alone, workers and shards giving the same bytes as one process, and resume."""

import csv
import re
from pathlib import Path

import pytest
from conftest import TINY, check_common_report, one_key_sweep

from circles_hinge.errors import ConfigError


@pytest.mark.parametrize(
    ("param", "values", "message"),
    [
        ("data.noise", ["0", "-0.1"], r"data.noise must be a finite number >= 0 — got -0.1"),
        ("data.factor", [0.5, 1.5], r"data.factor must be a finite number in \[0, 1\)"),
        ("data.bogus", [1], "data.bogus is not a known key"),
        ("training.loss", ["hinge"], "cannot be swept"),
        ("data.noise", [], "--values is empty"),
        ("seed", [1, 2], "--param seed cannot be swept"),
        ("data.noise", ["0.1", 0.1], "more than once"),
    ],
)
def test_sweep_rejects_a_bad_value_before_making_a_folder(tiny_config, tmp_path, param, values, message):
    runs_dir = tmp_path / "runs"
    with pytest.raises(ConfigError, match=message):
        one_key_sweep(tiny_config, param, values, ["hinge"], runs_dir, seeds=2)
    assert not runs_dir.exists()


def test_sweep_writes_json_csv_and_picture(tiny_config, runs_dir):
    result = one_key_sweep(
        tiny_config, "data.noise", ["0", "0.1"], ["hinge", "binary_crossentropy"], runs_dir, seeds=2
    )
    path, report = result.path, result.report.to_json()
    check_common_report(path, report, "sweep")
    assert (path / "sweep.png").stat().st_size > 0
    assert [(r["data.noise"], r["loss"]) for r in report["results"]] == [
        (0, "hinge"),
        (0, "binary_crossentropy"),
        (0.1, "hinge"),
        (0.1, "binary_crossentropy"),
    ]
    for r in report["results"]:
        assert r["seeds"] == 2 and "train_seconds" not in r  # a batch trains together: no time per cell
        lo, hi = r["success_ci95"]
        assert 0 <= lo <= r["success_rate"] <= hi <= 1
    table = list(csv.DictReader((path / "sweep.csv").open()))
    assert len(table) == 4 and list(table[0])[:3] == ["data.noise", "loss", "seeds"]
    assert {"success_rate", "success_ci95_lo", "test_accuracy"} <= set(table[0])
    assert len(list(csv.DictReader((path / "seeds.csv").open()))) == 8
    assert report["results"][1]["band_level"] == 1.0, "cross-entropy's band is ±1 of the logit"


def test_an_interrupted_sweep_keeps_its_finished_values_and_resume_finishes_it(tiny_config, tmp_path):
    import json

    from circles_hinge.errors import Interrupted
    from circles_hinge.studies.door import plan_resume
    from circles_hinge.studies.grid import RESUME_FILE
    from circles_hinge.studies.sweeps import resume_sweep

    args = ("data.noise", ["0", "0.1", "0.2"], ["hinge", "squared_hinge"])
    whole = one_key_sweep(tiny_config, *args, tmp_path / "whole", seeds=2, name="whole").path

    def stop_at_the_second_value(stage, done, total):
        if stage.startswith("squared_hinge"):  # hinge's batch (every value) is finished and kept
            raise KeyboardInterrupt

    with pytest.raises(Interrupted):
        one_key_sweep(
            tiny_config, *args, tmp_path / "cut", 2, name="cut", on_progress=stop_at_the_second_value
        )
    cut = tmp_path / "cut" / "cut"
    status = json.loads((cut / "status.json").read_text())
    assert status["status"] == "interrupted"
    with open(cut / "seeds.csv") as fh:  # the first value's rows, kept
        kept = list(csv.DictReader(fh))
    assert {r["loss"] for r in kept} == {"hinge"} and len(kept) == 6  # 3 values x 2 seeds
    assert not (cut / "sweep.json").exists() and (cut / RESUME_FILE).exists()

    resumed = resume_sweep(plan_resume(cut))
    assert resumed.path == cut
    assert (cut / "seeds.csv").read_bytes() == (whole / "seeds.csv").read_bytes()
    assert (cut / "sweep.csv").read_bytes() == (whole / "sweep.csv").read_bytes()
    assert sorted(p.name for p in cut.iterdir()) == sorted(p.name for p in whole.iterdir())
    a, b = (json.loads((p / "sweep.json").read_text()) for p in (cut, whole))
    for report in (a, b):
        report.pop("seconds")
        report.pop("workers")
    assert a == b
    after = json.loads((cut / "status.json").read_text())
    assert after["status"] == "complete" and after["started"] == status["started"]  # when it first started
    with pytest.raises(ConfigError, match="complete; there is nothing to resume"):
        resume_sweep(plan_resume(cut))


# --- grids ------------------------------------------------------------------------------------------


def test_split_values_keeps_commas_inside_brackets_and_parse_axis_names_what_is_wrong():
    from circles_hinge.studies.grid import parse_axis, split_values

    assert split_values("0, 0.1,[4,2],{a: 1, b: 2}") == ["0", "0.1", "[4,2]", "{a: 1, b: 2}"]
    assert parse_axis("model.hidden_units=[4,2],[8,4]") == ("model.hidden_units", ["[4,2]", "[8,4]"])
    for text, message in [
        ("data.noise", "must be KEY=V1,V2"),
        ("=0,1", "must be KEY=V1,V2"),
        ("data.noise=0,,1", "without empty items"),
        ("data.noise=", "without empty items"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_axis(text)


@pytest.mark.parametrize(
    ("axes", "shard", "message"),
    [
        ([("data.noise", [0]), ("data.noise", [0.1])], None, "gives data.noise more than once"),
        (
            [("data.noise", [0]), ("data.factor", [0.5, 2])],
            None,
            r"data.factor must be .* got 2 \(--grid data.noise=0, data.factor=2\)",
        ),
        ([("training.loss", ["hinge"])], None, "list the losses with --losses"),
        ([("data.noise", [0, 0.1])], (3, 2), "I must be between 1 and N"),
        ([("data.noise", [0, 0.1])], (1, 5), "only 4 cell-and-loss studies"),
    ],
)
def test_check_grid_refuses_a_bad_grid_in_one_line(tiny_config, axes, shard, message):
    from circles_hinge.studies.grid import check_grid

    with pytest.raises(ConfigError, match=message):
        check_grid(tiny_config, axes, ["hinge", "squared_hinge"], 2, shard=shard)


def test_cells_that_differ_only_in_data_share_a_batch_and_graph_changes_form_groups(tiny_config):
    from circles_hinge.studies.grid import check_grid

    grid = check_grid(
        tiny_config,
        [("data.noise", [0, 0.1]), ("data.factor", [0.3, 0.5]), ("training.batch_size", [5, 10])],
        ["hinge", "squared_hinge"],
        3,
    )
    assert len(grid.cells) == 8 and grid.cells[1] == {
        "data.noise": 0,
        "data.factor": 0.3,
        "training.batch_size": 10,
    }
    batches = grid.batches(grid.units())
    assert len(batches) == 4  # 2 losses x 2 batch sizes; noise and factor share each batch
    assert sorted(u for b in batches for u in b) == sorted(grid.units())
    for batch in batches:
        configs = [grid.configs[c][loss] for c, loss in batch]
        assert len({(c.training.loss, c.training.batch_size) for c in configs}) == 1 and len(batch) == 4
    assert [len(b) for b in grid.batches(grid.units(), max_replicas=6)] == [2] * 8  # whole cells of 3 seeds
    shards = [
        check_grid(tiny_config, grid.axes, grid.losses, 3, shard=(i, 3)).shard_units() for i in (1, 2, 3)
    ]
    assert sorted(u for s in shards for u in s) == sorted(grid.units())  # disjoint and complete
    assert [len(s) for s in shards] == [6, 5, 5]


def test_a_grid_cell_trains_what_a_study_of_that_cell_alone_trains(tiny_config, tmp_path):
    """Replica k's arithmetic does not depend on the batch: a cell's rows inside a 2 x 2 grid batch are,
    to the byte, the rows of a seed study of that cell alone."""
    from circles_hinge.config import validate
    from circles_hinge.studies.comparison import run_comparison
    from circles_hinge.studies.grid import check_grid
    from circles_hinge.studies.requests import check_comparison
    from circles_hinge.studies.sweeps import run_grid

    grid = check_grid(tiny_config, [("data.noise", [0, 0.2]), ("data.factor", [0.3, 0.6])], ["hinge"], 3)
    whole = run_grid(grid, tmp_path, name="grid").path
    raw = tiny_config.to_dict()
    raw["data"].update(noise=0.2, factor=0.3)
    alone = run_comparison(check_comparison(validate(raw), ["hinge"], 3, "alone"), tmp_path).path
    with open(whole / "seeds.csv") as fh:
        rows = [r for r in csv.DictReader(fh) if (r["data.noise"], r["data.factor"]) == ("0.2", "0.3")]
    with open(alone / "seeds.csv") as fh:
        expected = list(csv.DictReader(fh))
    assert [{k: v for k, v in r.items() if not k.startswith("data.")} for r in rows] == expected
    assert [r["seed"] for r in rows] == ["42", "43", "44"]


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    """One small grid run whole in one process, with 2 worker processes, and as 2 shards merged."""
    from conftest import TINY

    from circles_hinge.loading import load_config
    from circles_hinge.studies.door import plan_merge
    from circles_hinge.studies.grid import check_grid
    from circles_hinge.studies.sweeps import merge_shards, run_grid

    root = tmp_path_factory.mktemp("sharded")
    config = load_config(TINY)
    axes = [("data.noise", [0, 0.1]), ("data.factor", [0.4, 0.6])]
    losses = ["hinge", "squared_hinge"]
    whole = run_grid(check_grid(config, axes, losses, 2), root, name="whole").path
    workers = run_grid(check_grid(config, axes, losses, 2), root, name="workers", workers=2)
    shards = [run_grid(check_grid(config, axes, losses, 2, shard=(i, 2)), root).path for i in (2, 1)]
    merged = merge_shards(plan_merge(shards, root, name="merged")).path
    return root, whole, workers, shards, merged


def test_workers_and_merged_shards_write_the_bytes_of_one_process(sharded):
    import json

    _, whole, workers, shards, merged = sharded
    assert workers.report.workers == 2
    for name in ("sweep.csv", "seeds.csv", "sweep.md"):
        expected = (whole / name).read_bytes()
        assert (workers.path / name).read_bytes() == expected, name
        assert (merged / name).read_bytes() == expected, name
    for shard in shards:  # each shard holds a part: about half of the 8 cell-and-loss rows
        with open(shard / "sweep.csv") as fh:
            assert len(list(csv.DictReader(fh))) == 4
    a, b = (json.loads((p / "sweep.json").read_text()) for p in (whole, merged))
    assert a["results"] == b["results"] and a["units"] == b["units"] and b["shard"] is None
    assert sorted(p.name for p in merged.iterdir()) == sorted(p.name for p in whole.iterdir())


def test_merge_refuses_missing_repeated_or_foreign_shards(sharded, tiny_config, tmp_path):
    from circles_hinge.studies.door import plan_merge
    from circles_hinge.studies.grid import check_grid
    from circles_hinge.studies.sweeps import merge_shards, run_grid

    root, whole, _, shards, _ = sharded
    other = run_grid(
        check_grid(tiny_config, [("data.noise", [0, 0.3])], ["hinge"], 2, shard=(1, 2)), tmp_path
    ).path
    for folders, message in [
        ([shards[0]], "shard 1/2 is missing"),
        ([shards[0], shards[0]], "are both shard 2/2"),
        ([shards[0], other], "a shard of a different sweep"),
        ([whole, shards[0]], "is a whole sweep, not a shard"),
        ([root / "nowhere"], "nowhere does not exist"),
    ]:
        with pytest.raises(ConfigError, match=message):
            merge_shards(plan_merge(folders, tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_a_two_key_grid_draws_heat_maps_and_its_report_has_a_slice_menu(sharded):
    _, whole, *_ = sharded
    md = (whole / "sweep.md").read_text()
    assert "| data.noise | data.factor | loss |" in md
    results = [line for line in md.splitlines() if line.startswith("| 0") and "/2 = " in line]
    assert len(results) == 8  # 4 cells x 2 losses, each with its success rate
    pairs = [line for line in md.splitlines() if "| hinge | squared hinge |" in line]
    assert len(pairs) == 4  # one paired verdict per cell
    html = (whole / "report.html").read_text()
    assert 'class="sweep-slice" data-key="data.factor"' in html
    from PIL import Image

    width, height = Image.open(whole / "sweep.png").size
    assert width > height  # a column per loss: its success rate above its mean test accuracy


# ---------------------------------------------------------------------------------------------------
# Shards of any number of keys, `--shard auto`, a resumed shard, `merge --partial` (#23)


@pytest.fixture(scope="module")
def one_key_shards(tmp_path_factory):
    """`sweep --param data.noise --values 0,0.1,0.2`, whole and as --shard I/3 for I = 1..3, and as
    --shard auto under a faked SLURM array (tasks 0..2: SLURM_ARRAY_TASK_MIN/MAX)."""
    from typer.testing import CliRunner

    from circles_hinge.cli.app import app

    runner, root = CliRunner(), tmp_path_factory.mktemp("one-key")
    base = ["sweep", "--config", str(TINY), "--param", "data.noise", "--values", "0,0.1,0.2", "--seeds", "2"]
    base += ["--workers", "1", "--quiet", "--runs-dir", str(root)]
    results = {"whole": runner.invoke(app, [*base, "--name", "whole"])}
    for i in (1, 2, 3):
        results[f"shard{i}"] = runner.invoke(app, [*base, "--shard", f"{i}/3", "--name", f"shard{i}"])
        env = {"SLURM_ARRAY_TASK_ID": str(i - 1), "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "2"}
        results[f"auto{i}"] = runner.invoke(app, [*base, "--shard", "auto", "--name", "auto"], env=env)
    return runner, app, root, results


def test_a_one_key_sweep_shards_and_merges_to_the_unsharded_bytes(one_key_shards):
    """#23 case 1: any --shard of a one-key sweep trained everything, then failed drawing sweep.png
    (KeyError: 0). Now each shard finishes, and merging the three gives the unsharded sweep's
    sweep.csv and seeds.csv byte for byte; so do the shards --shard auto took from a SLURM array."""
    runner, app, root, results = one_key_shards
    for name, result in results.items():
        assert result.exit_code == 0, (name, result.output)
    assert results["auto2"].stderr.startswith("shard 2/3: SLURM array task 1 of 0..2\n")
    for merged, folders in (
        ("merged", ["shard3", "shard1", "shard2"]),
        ("merged-auto", ["auto-shard1of3", "auto-shard2of3", "auto-shard3of3"]),
    ):
        args = ["merge", *(str(root / f) for f in folders), "--runs-dir", str(root), "--name", merged]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        for table in ("sweep.csv", "seeds.csv"):
            assert (root / merged / table).read_bytes() == (root / "whole" / table).read_bytes(), (
                merged,
                table,
            )


def test_a_stopped_shard_resumes(one_key_shards, tmp_path):
    """--resume finishes a shard that stopped after its first cell (on main it crashed drawing)."""
    import json
    import shutil

    runner, app, root, _ = one_key_shards
    shard = Path(shutil.copytree(root / "shard1", tmp_path / "shard1"))
    report = json.loads((shard / "sweep.json").read_text())
    with open(shard / "seeds.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    first = {"cell": report["units"][0][0], "loss": report["units"][0][1], "result": report["results"][0]}
    first["seed_rows"] = rows[: report["n_seeds"]]
    request = {k: report[k] for k in ("grid", "losses", "shard")} | {"seeds": report["n_seeds"]}
    (shard / "resume.json").write_text(json.dumps({**request, "done": [first], "seconds": 1.0}))
    for name in ("sweep.json", "sweep.md", "sweep.png", "report.html"):
        (shard / name).unlink()
    status = json.loads((shard / "status.json").read_text())
    (shard / "status.json").write_text(json.dumps({**status, "status": "interrupted"}))
    result = runner.invoke(app, ["sweep", "--resume", str(shard), "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"resuming {shard}: 1 of 2 cell studies finished before")
    for table in ("sweep.csv", "seeds.csv"):
        assert (shard / table).read_bytes() == (root / "shard1" / table).read_bytes()
    assert json.loads((shard / "status.json").read_text())["status"] == "complete"


def test_merge_partial_marks_every_file_and_prints_the_missing_commands(one_key_shards, tmp_path):
    """merge --partial: what the finished shards hold, marked partial in sweep.json, sweep.md,
    report.html and the picture's title; the printed command makes the missing shard, and merging
    it in gives the whole sweep's bytes."""
    import json
    import shlex

    from circles_hinge.reports import SweepReport

    runner, app, root, _ = one_key_shards
    out = tmp_path / "out"
    args = ["merge", str(root / "shard1"), str(root / "shard3"), "--runs-dir", str(out), "--partial"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    (command,) = [line.split(": ", 1)[1] for line in result.stderr.splitlines() if line.startswith("missing")]
    assert result.stderr.startswith("missing shard 2/3: circles-hinge sweep --config ")
    (folder,) = out.glob("*-sweep-data.noise-partial")
    report = json.loads((folder / "sweep.json").read_text())
    assert report["partial"] == {"shards": [1, 3], "of": 3, "missing": [2], "commands": [command]}
    part = SweepReport.from_json(report).part
    assert part == "Partial: shards 1, 3 of 3 only; shard 2 missing"
    assert (folder / "sweep.md").read_text().startswith(f"**{part}.**")
    assert f"<b>{part}.</b>" in (folder / "report.html").read_text()
    assert "<title>Partial sweep of data.noise" in (folder / "report.html").read_text()
    listed = json.loads(runner.invoke(app, ["runs", "--json", "--runs-dir", str(out)]).stdout)
    assert [r["status"] for r in listed] == ["partial"]
    made = runner.invoke(app, shlex.split(command)[1:] + ["--quiet", "--workers", "1"])
    assert made.exit_code == 0, made.output
    (shard2,) = out.glob("*-shard2of3")
    args = ["merge", str(root / "shard1"), str(shard2), str(root / "shard3"), "--runs-dir", str(out)]
    args += ["--name", "whole"]
    assert runner.invoke(app, args).exit_code == 0
    for table in ("sweep.csv", "seeds.csv"):
        assert (out / "whole" / table).read_bytes() == (root / "whole" / table).read_bytes()


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("auto", {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "8"}, (3, 8)),  # MIN taken as 1
        (
            "auto",
            {"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "7"},
            (1, 8),
        ),
        (
            "auto/4",
            {
                "SLURM_ARRAY_TASK_ID": "8",
                "SLURM_ARRAY_TASK_MIN": "2",
                "SLURM_ARRAY_TASK_MAX": "8",
                "SLURM_ARRAY_TASK_STEP": "2",
            },
            (4, 4),
        ),
        ("auto/4", {"PARALLEL_SEQ": "2"}, (2, 4)),
        ("2/5", {"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "8"}, (2, 5)),  # given: as given
        ("auto", {"PARALLEL_SEQ": "2"}, "needs the number of shards: --shard auto/N"),
        ("auto", {}, "no SLURM array task (SLURM_ARRAY_TASK_ID) or GNU parallel job (PARALLEL_SEQ)"),
        (
            "auto/4",
            {"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "8"},
            "this SLURM array has 8 tasks",
        ),
        (
            "auto",
            {"SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_COUNT": "8"},
            "is not one of the array's 8 tasks",
        ),
        ("auto/5", {"PARALLEL_SEQ": "6"}, "PARALLEL_SEQ=6 is not between 1 and 5"),
        ("auto", {"SLURM_ARRAY_TASK_ID": "x"}, "SLURM_ARRAY_TASK_ID='x' is not an integer"),
    ],
)
def test_shard_auto_reads_a_slurm_array_or_gnu_parallel(text, env, expected):
    from circles_hinge.studies.shards import resolve_shard

    if isinstance(expected, tuple):
        assert resolve_shard(text, env)[0] == expected
    else:
        with pytest.raises(ConfigError, match=re.escape(expected)):
            resolve_shard(text, env)


def test_a_sweep_in_workers_records_the_tensorflow_build_that_trained_it(tmp_path):
    """With --workers 2 the parent never loads TensorFlow, and sweep.json's machine record had only the
    environment variable, not whether oneDNN ran (metrics.json of a run has it). A fresh process, so
    that nothing else in it has loaded TensorFlow."""
    import json
    import subprocess
    import sys

    args = ["sweep", "--config", str(TINY), "--param", "data.noise", "--values", "0,0.1", "--seeds", "2"]
    args += ["--workers", "2", "--runs-dir", str(tmp_path), "--name", "s", "--quiet"]
    done = subprocess.run([sys.executable, "-m", "circles_hinge", *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert report["workers"] == 2
    build = report["machine"]["tensorflow_build"]
    assert build["onednn"] in (True, False) and "cpu_compiler" in build, build

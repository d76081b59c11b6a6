"""sweeps.py: a bad value refused before any folder, a tiny sweep and grid end to end, a grid cell equal
to a study of that cell alone, workers and shards giving the same bytes as one process, and resume."""

import csv

import pytest
from conftest import check_common_report, one_key_sweep

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
    path, report = result.path, result.report
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
    assert workers.report["workers"] == 2
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
    assert "| data.noise | data.factor | loss |" in md and md.count("| Hinge |") + md.count("| hinge |") >= 0
    assert len([line for line in md.splitlines() if line.startswith("| 0")]) == 8
    html = (whole / "report.html").read_text()
    assert 'class="sweep-slice" data-key="data.factor"' in html
    from PIL import Image

    width, height = Image.open(whole / "sweep.png").size
    assert width > height  # two heat maps side by side, one per loss

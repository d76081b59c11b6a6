"""Answers, not only numbers (studies/verdicts.py, studies/gather.py): paired verdicts over shared seeds,
curves across seeds, a named representative seed, the success threshold, and `report --compare`."""

import csv
import json

import numpy as np
import pytest
from conftest import TINY
from scipy.stats import binomtest
from test_html_report import browse, needs_browser
from typer.testing import CliRunner

import circles_hinge as ch
from circles_hinge.cli.app import app
from circles_hinge.errors import ConfigError
from circles_hinge.results import SeedRow
from circles_hinge.studies.verdicts import pair

runner = CliRunner()


def _rows(loss, outcomes, accuracy=None):
    accuracy = accuracy or [1.0 if ok else 0.6 for ok in outcomes]
    return [
        SeedRow(loss, 100 + k, ok, a, 0.1, 0.1, 0.1, None)
        for k, (ok, a) in enumerate(zip(outcomes, accuracy))
    ]


def test_a_one_sided_difference_is_said_with_its_p_and_the_seeds_that_would_show_it():
    hinge = _rows("hinge", [True] * 27 + [False] * 3)
    squared = _rows("squared_hinge", [True] * 30)
    p = pair("hinge", hinge, "squared_hinge", squared)
    assert (p.both_succeed, p.only_first, p.only_second, p.neither) == (27, 0, 3, 0)
    assert p.mcnemar_p == pytest.approx(binomtest(0, 3, 0.5).pvalue) == pytest.approx(0.25)
    assert p.seeds_to_detect == 60  # 0 vs 6 discordant: p = 0.031
    assert "squared hinge succeeded where hinge failed on 3 seeds and never the reverse" in p.verdict
    assert "McNemar's exact p = 0.25: no detectable difference at this size" in p.verdict
    assert "about 60 seeds would show a difference this large" in p.verdict
    assert p.verdict.startswith("On the same 30 seeds")


def test_a_clear_difference_is_called_and_accuracy_is_paired_seed_by_seed():
    a = _rows("hinge", [False] * 10 + [True] * 10, [0.5] * 10 + [1.0] * 10)
    b = _rows("squared_hinge", [True] * 20, [1.0] * 20)
    p = pair("hinge", a, "squared_hinge", b)
    assert p.mcnemar_p < 0.01 and "squared hinge succeeds more often" in p.verdict
    d = p.accuracy_difference
    assert d.median == pytest.approx(0.25) and d.mean == pytest.approx(0.25)  # second minus first
    assert d.mean_ci95[0] > 0, "every difference is >= 0 and half are 0.5: the interval excludes 0"
    assert d.ci95[0] <= d.median <= d.ci95[1]
    same = pair("hinge", a, "hinge", a, same_scale=True)
    assert same.test_loss_difference is not None and same.test_loss_difference.median == 0
    assert "no seed tells them apart" in same.verdict


def test_only_shared_seeds_are_pairs_and_one_seed_is_called_an_anecdote():
    a, b = _rows("hinge", [True, False]), _rows("squared_hinge", [True])
    p = pair("hinge", a, "squared_hinge", b)
    assert p.n_seeds == 1 and "One seed (100)" in p.verdict and "anecdote, not a verdict" in p.verdict


@pytest.fixture(scope="module")
def study40(tmp_path_factory):
    runs = tmp_path_factory.mktemp("study40")
    return ch.compare(config=TINY, seeds=40, runs_dir=runs, name="s40")


def test_a_seed_study_writes_paired_verdicts_that_scipy_and_seeds_csv_agree_with(study40):
    report = json.loads((study40.path / "comparison.json").read_text())
    [paired] = report["paired"]
    assert paired["losses"] == ["hinge", "squared_hinge"] and paired["n_seeds"] == 40
    rows = list(csv.DictReader((study40.path / "seeds.csv").open()))
    ok = {(r["loss"], int(r["seed"])): r["success"] == "True" for r in rows}
    seeds = range(42, 82)
    only_first = sum(ok[("hinge", s)] and not ok[("squared_hinge", s)] for s in seeds)
    only_second = sum(ok[("squared_hinge", s)] and not ok[("hinge", s)] for s in seeds)
    assert (paired["only_first"], paired["only_second"]) == (only_first, only_second)
    n = only_first + only_second
    expected = 1.0 if n == 0 else binomtest(only_first, n, 0.5).pvalue
    assert paired["mcnemar_p"] == pytest.approx(expected, abs=1e-12)
    assert sum(paired[k] for k in ("both_succeed", "only_first", "only_second", "neither")) == 40
    acc = {(r["loss"], int(r["seed"])): float(r["test_accuracy"]) for r in rows}
    diffs = [acc[("squared_hinge", s)] - acc[("hinge", s)] for s in seeds]
    assert paired["accuracy_difference"]["median"] == pytest.approx(np.median(diffs))
    lo, hi = paired["accuracy_difference"]["ci95"]
    assert lo <= paired["accuracy_difference"]["median"] <= hi
    for text in ((study40.path / "comparison.md").read_text(), (study40.path / "report.html").read_text()):
        assert "On the same 40 seeds" in text and "Seed by seed" in text


def test_a_seed_study_writes_curves_across_seeds_whose_last_median_is_seeds_csvs(study40):
    report = json.loads((study40.path / "comparison.json").read_text())
    rows = list(csv.DictReader((study40.path / "seeds.csv").open()))
    for result in report["results"]:
        curves = result["curves"]
        assert set(curves) >= {"loss", "val_loss", "val_accuracy"}
        final = [float(r["final_loss"]) for r in rows if r["loss"] == result["loss"]]
        assert curves["loss"]["median"][-1] == pytest.approx(np.median(final), rel=1e-12)
        for metric in ("loss", "val_loss"):
            for lo, mid, hi in zip(curves[metric]["q25"], curves[metric]["median"], curves[metric]["q75"]):
                assert lo <= mid <= hi
        assert len(curves["loss"]["median"]) == 2  # the tiny config's epochs
    assert 'class="curves"' in (study40.path / "report.html").read_text()


def test_the_panels_draw_a_named_representative_seed():
    from circles_hinge.losses import get_loss
    from circles_hinge.studies.comparison import representative_seed
    from circles_hinge.studies.seeds import SeedStudy

    def study(loss, outcomes, losses):
        rows = [
            SeedRow(loss, 42 + k, ok, 1.0 if ok else 0.5, t, 0, 0, None)
            for k, (ok, t) in enumerate(zip(outcomes, losses))
        ]
        return SeedStudy(loss, get_loss(loss), rows, None, [], {}, np.zeros((4, 1, 1)), None)

    # seeds 42..45; every loss succeeds on 43, 44 and 45; by hinge's test loss 45 < 43 < 44: 43 is the median
    studies = [
        study("hinge", [False, True, True, True], [0.0, 0.2, 0.3, 0.1]),
        study("squared_hinge", [True, True, True, True], [0.1, 0.1, 0.1, 0.1]),
    ]
    k, why = representative_seed(studies)
    assert k == 1 and "the median of the 3 seeds every loss succeeded on" in why
    k, why = representative_seed([study("hinge", [False] * 4, [0.4, 0.3, 0.2, 0.1])])
    assert "no seed succeeded" in why


def test_the_success_threshold_is_an_option_recorded_and_checked(tmp_path):
    strict = ch.compare(config=TINY, seeds=4, runs_dir=tmp_path, name="loose", success=0.5)
    assert strict.report.success_accuracy == 0.5
    rows = list(csv.DictReader((strict.path / "seeds.csv").open()))
    assert all((r["success"] == "True") == (float(r["test_accuracy"]) >= 0.5) for r in rows)
    assert "at 50.0% test accuracy or more" in (strict.path / "report.html").read_text()
    result = runner.invoke(
        app, ["compare", "--seeds", "3", "--success", "1.5", "--runs-dir", str(tmp_path / "x")]
    )
    assert result.exit_code == 2 and "--success must be a number in (0, 1]" in result.output
    assert not (tmp_path / "x").exists()


def test_a_sweep_cell_gets_its_verdict_and_accuracy_interval_and_shows_its_threshold(tmp_path):
    swept = ch.sweep(
        "data.noise",
        [0.0, 0.1],
        losses=["hinge", "squared_hinge"],
        seeds=5,
        config=TINY,
        runs_dir=tmp_path,
        success=0.8,
    )
    report = json.loads((swept.path / "sweep.json").read_text())
    assert report["success_accuracy"] == 0.8
    assert [p["cell"] for p in report["paired"]] == [{"data.noise": 0.0}, {"data.noise": 0.1}]
    for r in report["results"]:
        lo, hi = r["test_accuracy_ci95"]
        assert lo <= r["test_accuracy"] <= hi
    table = list(csv.DictReader((swept.path / "sweep.csv").open()))
    assert {"test_accuracy_ci95_lo", "test_accuracy_ci95_hi"} <= set(table[0])
    page = (swept.path / "report.html").read_text()
    assert "80.0% test accuracy, the threshold this sweep used" in page and "Seed by seed, per cell" in page
    assert "Seed by seed, per cell" in (swept.path / "sweep.md").read_text()


@pytest.fixture(scope="module")
def folders(tmp_path_factory, study40):
    runs = tmp_path_factory.mktemp("gather")
    a = ch.train(config=TINY, runs_dir=runs, name="hinge42", overrides={"training.restarts": 0})
    b = ch.train(
        loss="squared_hinge", config=TINY, runs_dir=runs, name="sq42", overrides={"training.restarts": 0}
    )
    return runs, a.path, b.path, study40.path


def test_report_compare_writes_one_page_for_two_runs_and_for_a_run_against_a_study(folders):
    runs, a, b, study = folders
    result = runner.invoke(app, ["report", "--compare", str(a), str(b), "--runs-dir", str(runs)])
    assert result.exit_code == 0, result.output
    page = runs / "compare-hinge42-vs-sq42.html"
    assert result.output.strip().splitlines()[-1] == str(page)
    text = page.read_text()
    assert "Side by side: hinge42, sq42" in text and "Training, replayed side by side" in text
    assert "Pairs that share one seed only" in text
    again = runner.invoke(app, ["report", "--compare", str(a), str(b), "--runs-dir", str(runs)])
    assert again.output.strip().endswith("compare-hinge42-vs-sq42-2.html"), "never over a page already there"
    written = ch.report_compare([a, study], runs_dir=runs)
    text = written.read_text()
    assert "s40: hinge" in text and "s40: squared hinge" in text and "Loss curves" in text
    assert "One seed (42)" not in text or "anecdote" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{a}"], "needs at least two folders"),
        (["{a}", "{a}"], "are the same folder"),
        (["{a}", "{runs}/nope"], "does not exist"),
        (["{a}", "{runs}"], "is not a run, comparison or sweep folder"),
        (["{a}", "{a}/metrics.json"], "is a file"),
    ],
)
def test_report_compare_refuses_what_it_cannot_compare_in_one_line(folders, args, message):
    runs, a, _, _ = folders
    before = sorted(p.name for p in runs.iterdir())
    argv = [x.format(a=a, runs=runs) for x in args]
    result = runner.invoke(app, ["report", "--compare", *argv, "--runs-dir", str(runs)])
    assert result.exit_code == 2 and message in result.output and len(result.output.strip().splitlines()) == 1
    assert sorted(p.name for p in runs.iterdir()) == before
    with pytest.raises(ConfigError, match=message):
        ch.report_compare(argv, runs_dir=runs)


@needs_browser
def test_report_compare_page_makes_no_request_and_one_slider_drives_both_replays(folders, tmp_path):
    runs, a, b, _ = folders
    page = ch.report_compare([a, b], out=tmp_path / "pair.html")
    harness = """
const slider = document.getElementById("epoch");
const planes = Array.from(document.querySelectorAll("canvas.plane"));
const pixels = (c) => c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
const move = (n) => { slider.value = String(n); slider.dispatchEvent(new Event("input")); };
move(0); const first = planes.map((c) => pixels(c).slice());
move(slider.max); const last = planes.map((c) => pixels(c).slice());
const changed = planes.map((_, k) => {
  let n = 0;
  for (let i = 0; i < first[k].length; i += 4) if (first[k][i] !== last[k][i]) n++;
  return n;
});
const label = document.getElementById("epoch-label").textContent;
const loaded = performance.getEntriesByType("resource").map((e) => e.name);
setTimeout(() => done({planes: planes.length, changed, label, loaded}), 300);
"""
    r = browse(page, harness=harness, strip_csp=True)["result"]
    assert r["planes"] == 2 and all(n > 0 for n in r["changed"]), r  # one slider moved both replays
    assert all(url.startswith(("file:", "data:")) for url in r["loaded"]), r["loaded"]

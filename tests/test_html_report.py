"""report.html and index.html (circles_hinge.outputs.html), opened in headless Chromium: the page's
forward pass against Keras for every loss and activation, #epoch=N, the slider redrawing the heat map,
no network requests, and an index that lists every folder. Browser tests are skipped only when
Chromium is missing and CI is not set (.ci/run installs it)."""

import base64
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import get_args

import numpy as np
import pytest
from conftest import TINY, one_key_sweep, read_status
from typer.testing import CliRunner

from circles_hinge.config import Activation, validate
from circles_hinge.loading import load_config
from circles_hinge.losses import LOSSES, get_loss
from circles_hinge.outputs.html import (
    INDEX_FILE,
    REPORT_FILE,
    NoReport,
    read_data,
    rebuild,
    write_index,
)
from circles_hinge.outputs.html.page import render
from circles_hinge.outputs.html.run import controls, replay_data
from circles_hinge.store.folders import Status, create_run_dir

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
needs_browser = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="headless Chromium is not installed (apt-get install chromium; CI installs it)",
)
EPOCHS = 4


def browse(page: Path, fragment: str = "", harness: str | None = None, strip_csp: bool = False) -> dict:
    """Open `page` in a fresh headless Chromium and return what `harness` (JavaScript run after the
    page's own script, ending by calling done(result)) reported, plus the page's text as rendered."""
    if CHROMIUM is None:
        raise AssertionError("CI is set but chromium is not installed: .ci/run should have installed it")
    text = page.read_text(encoding="utf-8")
    if strip_csp:  # to see what the page itself asks for, without the guard that would block it
        text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
    script = (
        "<script>function done(r){const p=document.createElement('pre');p.id='harness-result';"
        "p.textContent=JSON.stringify(r);document.body.appendChild(p);}\n"
        f"{harness or 'done(null);'}</script>"
    )
    head, _, tail = text.rpartition("</body>")
    copy = page.with_name(f"harness-{page.name}")  # the same folder, so relative links resolve
    copy.write_text(head + script + "</body>" + tail, encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=5000",
                "--dump-dom",
                copy.as_uri() + fragment,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    copy.unlink()
    found = re.search(r'<pre id="harness-result">(.*?)</pre>', out.stdout, re.S)
    assert found, f"the harness did not report; chromium said: {out.stderr[-2000:]}"
    dom = out.stdout
    return {"result": json.loads(html.unescape(found.group(1))), "dom": dom}


# --- fixtures: one real tiny run (and a comparison and sweep for their pages) --------------------------


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    from circles_hinge.studies.experiment import run_experiment

    config = load_config(TINY, [f"training.epochs={EPOCHS}"])
    runs = tmp_path_factory.mktemp("report-runs")
    return run_experiment(config, runs).path


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory):

    runs = tmp_path_factory.mktemp("report-sweep")
    return one_key_sweep(
        load_config(TINY), "data.noise", ["0", "0.2"], ["hinge", "squared_hinge"], runs, 2
    ).path


# --- the page as written ----------------------------------------------------------------------------


def test_train_writes_a_small_self_contained_report_with_every_epoch(run_folder):
    page = run_folder / REPORT_FILE
    text = page.read_text(encoding="utf-8")
    assert read_status(run_folder)["status"] == "complete"
    assert page.stat().st_size < 2_000_000
    assert not re.search(r'(src|href)="(https?:)?//', text), "nothing is loaded from elsewhere"
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert text.count("data:image/png;base64,") == 5  # the five figures, embedded for printing
    replay = read_data(page)["replays"][0]
    assert [f["epoch"] for f in replay["frames"]] == list(range(EPOCHS + 1))
    assert len(replay["frames"][0]["theta"]) == 25 and len(replay["history"]["loss"]) == EPOCHS
    assert replay["frames"][0]["theta"] != replay["frames"][-1]["theta"]


def test_the_data_cannot_end_the_script_early(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(render("t", "", {"kind": "run", "text": "</script><b>x</b>"}), encoding="utf-8")
    assert read_data(page)["text"] == "</script><b>x</b>"


def test_rebuild_keeps_the_recorded_weights_and_an_old_folder_shows_the_final_model(run_folder, tmp_path):
    before = read_data(run_folder / REPORT_FILE)
    assert rebuild(run_folder) == run_folder / REPORT_FILE
    assert read_data(run_folder / REPORT_FILE)["replays"][0]["frames"] == before["replays"][0]["frames"]

    old = tmp_path / "old-run"
    shutil.copytree(run_folder, old)
    (old / REPORT_FILE).unlink()  # as a folder made before report.html existed
    rebuild(old)
    replay = read_data(old / REPORT_FILE)["replays"][0]
    assert [f["epoch"] for f in replay["frames"]] == [EPOCHS]
    assert "final model only" in replay["note"]
    final = np.array(before["replays"][0]["frames"][-1]["theta"])
    np.testing.assert_allclose(replay["frames"][0]["theta"], final, rtol=0, atol=1e-7)


def test_rebuild_of_an_old_comparison_writes_its_runs_reports_first(side_by_side, tmp_path):
    old = tmp_path / "old-comparison"
    shutil.copytree(side_by_side[0].path, old)
    for page in old.rglob(REPORT_FILE):
        page.unlink()
    assert rebuild(old) == old / REPORT_FILE
    replays = read_data(old / REPORT_FILE)["replays"]
    assert [r["loss"] for r in replays] == ["hinge", "squared_hinge"]
    assert all(len(r["frames"]) == 1 and "final model only" in r["note"] for r in replays)


def test_rebuild_makes_the_thumbnail_a_folder_made_before_thumbnails_lacks(run_folder, tmp_path):
    from circles_hinge.outputs.style import THUMBNAIL

    old = tmp_path / "before-thumbnails"
    shutil.copytree(run_folder, old)
    made = (old / THUMBNAIL).read_bytes()
    (old / THUMBNAIL).unlink()
    rebuild(old)
    assert (old / THUMBNAIL).read_bytes() == made  # the same small copy the run wrote with its figure


def test_rebuild_writes_no_index_into_a_folder_that_is_not_a_runs_folder(tmp_path):
    (tmp_path / "notes").mkdir()
    with pytest.raises(NoReport, match="holds none to index"):
        rebuild(tmp_path)
    assert not (tmp_path / INDEX_FILE).exists()


def test_rebuild_refuses_an_unfinished_run(tmp_path):
    path = create_run_dir(tmp_path, "stopped", exact=True)
    Status(path, "run").write("interrupted", error="stopped by SIGINT")
    with pytest.raises(NoReport, match="interrupted"):
        rebuild(path)


def test_cli_report_rebuilds_a_folder_and_the_index(run_folder):
    from circles_hinge.cli.app import app

    runner = CliRunner()
    result = runner.invoke(app, ["report", str(run_folder)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(str(run_folder / REPORT_FILE))
    result = runner.invoke(app, ["report", "--runs-dir", str(run_folder.parent)])
    assert result.exit_code == 0 and (run_folder.parent / INDEX_FILE).is_file()
    result = runner.invoke(app, ["report", str(run_folder / "missing")])
    assert result.exit_code == 1 and "does not exist" in result.output


def test_every_command_rewrites_the_index_also_when_it_fails(tmp_path):
    from circles_hinge.cli.app import app

    runner = CliRunner()
    runs = tmp_path / "runs"
    common = ["--config", str(TINY), "--runs-dir", str(runs), "--quiet"]
    ok = runner.invoke(app, ["train", *common, "--name", "good"])
    assert ok.exit_code == 0, ok.output
    assert (runs / "good" / REPORT_FILE).is_file()
    diverge = ["--set", "model.hidden_activation=linear", "--set", "model.output_activation=linear"]
    diverge += ["--set", "training.learning_rate=1e12", "--loss", "squared_hinge", "--name", "bad"]
    failed = runner.invoke(app, ["train", *common, *diverge])
    assert failed.exit_code == 1 and "diverged" in failed.output
    listed = read_data(runs / INDEX_FILE)["runs"]
    assert sorted((r["name"], r["status"]) for r in listed) == [("bad", "failed"), ("good", "complete")]
    text = (runs / INDEX_FILE).read_text()
    assert 'href="good/report.html"' in text and 'href="bad/"' in text


# --- in the browser -------------------------------------------------------------------------------


def _network_config(loss: str, activation: str = "relu", hidden=(4, 2)):
    spec = get_loss(loss)
    raw = load_config(TINY).to_dict()
    raw["data"]["dataset"] = "blobs" if spec.multiclass else "circles"
    raw["model"]["hidden_activation"] = activation
    raw["model"]["hidden_units"] = list(hidden)
    raw["training"]["loss"] = loss
    return validate(raw)


def _forward_cases():
    cases = [(loss, "relu", (4, 2)) for loss in LOSSES]
    cases += [("hinge", act, (4, 2)) for act in get_args(Activation) if act != "relu"]
    cases.append(("binary_crossentropy", "gelu", (5, 3, 2)))  # deeper, wider
    return cases


@needs_browser
def test_the_pages_forward_pass_agrees_with_keras_for_every_loss_and_activation(tmp_path):
    from circles_hinge.engine.data import load_split
    from circles_hinge.engine.model import build_model, initial_weights, keras_outputs
    from circles_hinge.engine.runtime import load_tensorflow

    load_tensorflow()
    rng = np.random.default_rng(0)
    replays, expected, points = [], [], []
    for i, (loss, activation, hidden) in enumerate(_forward_cases()):
        config = _network_config(loss, activation, hidden)
        split = load_split(config.data, config.seed, config.training.validation_split)
        weights = initial_weights(config, seed=i)
        weights = [w + rng.normal(0, 0.3, w.shape).astype(np.float32) for w in weights]  # non-zero biases
        theta = np.concatenate([w.ravel() for w in weights])
        lo, hi = split.X_test.min(axis=0), split.X_test.max(axis=0)
        grid = np.stack(np.meshgrid(np.linspace(lo[0], hi[0], 6), np.linspace(lo[1], hi[1], 6)), -1)
        X = np.concatenate([grid.reshape(-1, 2), split.X_test[:14]]).astype(np.float32)
        model = build_model(config, weights)
        expected.append(keras_outputs(model)(X))
        points.append(X.astype(np.float64).tolist())
        history = {m: [0.5] for m in ("loss", "accuracy", "val_loss", "val_accuracy")}
        replays.append(replay_data(config, split, history, [(1, theta)], f"{loss}/{activation}"))
    page = tmp_path / "forward.html"
    page.write_text(render("forward pass", controls(), {"kind": "compare", "replays": replays}))
    harness = (
        f"const P = {json.dumps(points)};\ndone(P.map((pts, i) => window.circlesReport.outputs(i, 1, pts)));"
    )
    got = browse(page, harness=harness)["result"]
    for (loss, activation, hidden), want, have in zip(_forward_cases(), expected, got):
        have = np.array(have)
        assert have.shape == want.shape, (loss, activation)
        assert np.abs(have - want).max() <= 1e-5, (loss, activation, hidden, np.abs(have - want).max())


SLIDER = """
const slider = document.getElementById("epoch"), plane = document.querySelector("canvas.plane");
const pixels = () => plane.getContext("2d").getImageData(0, 0, plane.width, plane.height).data;
const move = (n) => { slider.value = String(n); slider.dispatchEvent(new Event("input")); };
const opened = {label: document.getElementById("epoch-label").textContent, value: slider.value};
move(0); const first = pixels().slice(); const hash0 = location.hash;
move(slider.max); const last = pixels().slice();
move(1); move(slider.max); const again = pixels().slice();
let changed = 0, differs = 0;
for (let i = 0; i < first.length; i += 4) {
  if (first[i] !== last[i] || first[i + 1] !== last[i + 1] || first[i + 2] !== last[i + 2]) changed++;
  if (again[i] !== last[i]) differs++;
}
done({opened, hash0, hash: location.hash, label: document.getElementById("epoch-label").textContent,
      max: slider.max, changed, differs, pixels: first.length / 4,
      status: document.querySelector(".frame-status").textContent});
"""


@needs_browser
def test_the_fragment_opens_an_epoch_and_the_slider_redraws_the_heat_map(run_folder):
    seen = browse(run_folder / REPORT_FILE, "#epoch=2", harness=SLIDER)
    r = seen["result"]
    assert r["opened"] == {"label": "epoch 2", "value": "2"}  # #epoch=2 opened epoch 2
    assert r["hash0"] == "#epoch=0" and r["hash"] == f"#epoch={EPOCHS}"  # the slider writes the fragment
    assert r["label"] == f"epoch {EPOCHS}" and r["max"] == str(EPOCHS)
    assert r["changed"] > 0.02 * r["pixels"], "training moved the heat map"
    assert r["differs"] == 0, "the same epoch draws the same pixels"
    assert "At these weights: test accuracy" in r["status"]


@needs_browser
def test_the_fragment_itself_shows_the_epoch_in_the_page_text(run_folder):
    dom = browse(run_folder / REPORT_FILE, "#epoch=3")["dom"]
    assert '<span id="epoch-label">epoch 3</span>' in dom
    dom = browse(run_folder / REPORT_FILE, "#epoch=99")["dom"]
    assert f'<span id="epoch-label">epoch {EPOCHS}</span>' in dom  # clamped to the last epoch


PLAY = """
const play = document.getElementById("play");
play.click();
setTimeout(() => done({label: document.getElementById("epoch-label").textContent, button: play.textContent,
                       hash: location.hash}), 3200);
"""


@needs_browser
def test_play_steps_through_the_epochs(run_folder):
    r = browse(run_folder / REPORT_FILE, "#epoch=0", harness=PLAY)["result"]
    # one epoch every 6 s / 4 epochs = 1.5 s: two steps by 3.2 s, and still playing
    assert r == {"label": "epoch 2", "button": "❚❚ pause", "hash": "#epoch=2"}


# What the page loaded, once it has loaded (a failed request ends before `load`, however slow the machine)
RESOURCES = (
    "const names = () => performance.getEntriesByType('resource').map((e) => e.name);"
    "const loaded = () => setTimeout(() => done(names()), 300);"
    "if (document.readyState === 'complete') loaded(); else window.addEventListener('load', loaded);"
)


@needs_browser
def test_the_pages_make_no_network_request(run_folder, side_by_side, sweep_folder, tmp_path):
    write_index(run_folder.parent)
    pages = [run_folder / REPORT_FILE, run_folder.parent / INDEX_FILE]
    pages += [side_by_side[0].path / REPORT_FILE, sweep_folder / REPORT_FILE]
    for page in pages:
        loaded = browse(page, harness=RESOURCES, strip_csp=True)["result"]
        assert all(url.startswith(("file:", "data:")) for url in loaded), (page.name, loaded)
    # the check sees a request when there is one
    bad = tmp_path / "bad.html"
    bad.write_text(
        (run_folder / REPORT_FILE).read_text().replace("</body>", '<img src="http://x.invalid/a.png"></body>')
    )
    assert "http://x.invalid/a.png" in browse(bad, harness=RESOURCES, strip_csp=True)["result"]


INDEX = """
const rows = () => Array.from(document.querySelectorAll("#runs tbody tr"));
const listed = rows().map((r) => [r.cells[1].textContent, r.cells[3].textContent, r.cells[2].textContent]);
const kind = document.getElementById("filter-kind");
kind.value = "run"; kind.dispatchEvent(new Event("change"));
const runsOnly = rows().filter((r) => !r.hidden).length;
kind.value = ""; kind.dispatchEvent(new Event("change"));
const loss = document.getElementById("filter-loss");
loss.value = "squared_hinge"; loss.dispatchEvent(new Event("change"));
const squared = rows().filter((r) => !r.hidden).map((r) => r.cells[1].textContent);
loss.value = ""; loss.dispatchEvent(new Event("change"));
document.querySelectorAll("#runs th")[1].click();
const byName = rows().map((r) => r.cells[1].textContent);
document.querySelectorAll("#runs th")[1].click();
const byNameUp = rows().map((r) => r.cells[1].textContent);
done({listed, runsOnly, squared, byName, byNameUp});
"""


@needs_browser
def test_the_index_lists_every_folder_with_its_status_and_filters_and_sorts(tmp_path, run_folder):
    runs = tmp_path / "runs"
    shutil.copytree(run_folder, runs / "done")
    for name, status, loss in (("crashed", "failed", "hinge"), ("stopped", "interrupted", "squared_hinge")):
        path = create_run_dir(runs, name, exact=True)
        (path / "config.yaml").write_text(f"seed: 7\ntraining:\n  loss: {loss}\n")
        Status(path, "run").write(status, error="x")
    still = create_run_dir(runs, "still", exact=True)
    Status(still, "sweep").write("running")
    (runs / "not-ours").mkdir()  # a foreign folder is not listed
    page = write_index(runs)
    r = browse(page, harness=INDEX)["result"]
    assert sorted(r["listed"]) == [
        ["crashed", "failed", "run"],
        ["done", "complete", "run"],
        ["still", "running", "sweep"],
        ["stopped", "interrupted", "run"],
    ]
    assert r["runsOnly"] == 3 and r["squared"] == ["stopped"]
    assert r["byName"] == ["stopped", "still", "done", "crashed"] and r["byNameUp"] == r["byName"][::-1]
    text = page.read_text()
    assert 'href="done/report.html"' in text and 'src="done/thumbnail.png"' in text
    # the thumbnail is a small copy made for the index, not the figure itself
    from PIL import Image

    thumb, figure = runs / "done" / "thumbnail.png", runs / "done" / "decision_regions.png"
    with Image.open(thumb) as small, Image.open(figure) as full:
        assert small.width == 320 < full.width and small.height < full.height
    assert thumb.stat().st_size < figure.stat().st_size / 2


@needs_browser
def test_a_comparison_drives_every_replay_with_one_slider(side_by_side):
    path = side_by_side[0].path
    harness = """
const slider = document.getElementById("epoch");
const texts = () => Array.from(document.querySelectorAll(".frame-status")).map((e) => e.textContent);
slider.value = "0"; slider.dispatchEvent(new Event("input")); const at0 = texts();
slider.value = slider.max; slider.dispatchEvent(new Event("input")); const atEnd = texts();
done({n: document.querySelectorAll("section.replay").length, at0, atEnd,
      titles: Array.from(document.querySelectorAll("section.replay h3")).map((e) => e.textContent)});
"""
    r = browse(path / REPORT_FILE, harness=harness)["result"]
    assert r["n"] == 2 and r["titles"][0].startswith("Hinge") and r["titles"][1].startswith("Squared hinge")
    assert all(t.startswith("Initial weights") for t in r["at0"])
    assert all(t.startswith("Epoch 2: training loss") for t in r["atEnd"])


def test_a_seed_study_report_has_the_success_table_and_every_seed(study):
    text = (study.path / REPORT_FILE).read_text()
    assert "95% Wilson interval" in text and text.count("data-command=") == 6  # 2 losses x 3 seeds
    assert "--seed 43 --set training.restarts=0" in text


@needs_browser
def test_a_sweep_report_draws_an_interactive_chart(sweep_folder):
    harness = """
const n = () => document.querySelectorAll("#sweep-chart .point").length;
const all = n();
const box = document.querySelector("#sweep-legend input"); box.click(); const one = n();
document.querySelector("#sweep-chart .point").dispatchEvent(new Event("click"));
done({all, one, tip: document.getElementById("sweep-tip").textContent});
"""
    r = browse(sweep_folder / REPORT_FILE, harness=harness)["result"]
    assert r["all"] == 4 and r["one"] == 2  # 2 values x 2 losses; one loss hidden
    assert "data.noise = 0" in r["tip"] and "success" in r["tip"]


# --- a seed study with --replays: every seed's replay, the one a single run of that seed records ------


@pytest.fixture(scope="module")
def replay_study(tmp_path_factory):
    """A 3-seed study (seeds 42..44) recorded with replays, and single runs of seed 43 for each loss."""
    from circles_hinge.studies.comparison import run_comparison
    from circles_hinge.studies.experiment import run_experiment
    from circles_hinge.studies.requests import check_comparison

    runs = tmp_path_factory.mktemp("report-replays")
    config = load_config(TINY, [f"training.epochs={EPOCHS}"])
    request = check_comparison(config, ["hinge", "squared_hinge"], 3, "study", replays=True)
    study = run_comparison(request, runs)
    single = {
        loss: run_experiment(
            load_config(TINY, [f"training.epochs={EPOCHS}", "seed=43", f"training.loss={loss}"]), runs
        )
        for loss in ("hinge", "squared_hinge")
    }
    return study.path, {loss: run.path for loss, run in single.items()}


def seed_replay_frames(seeds, seed, loss):
    """A seed's recorded (epoch, weights) of one loss, read back from a study page's data."""
    i = next(i for i, entry in enumerate(seeds["losses"]) if entry["loss"] == loss)
    epochs = seeds["losses"][i]["epochs"]
    theta = np.frombuffer(base64.b64decode(seeds["runs"][str(seed)]["theta"][i]), dtype="<f4")
    return list(zip(epochs, theta.reshape(len(epochs), -1)))


def test_a_study_replays_a_seed_with_the_weights_a_single_run_of_it_records(replay_study):
    path, single = replay_study
    seeds = read_data(path / REPORT_FILE)["seeds"]
    assert sorted(seeds["runs"]) == ["42", "43", "44"]
    for loss, run in single.items():
        alone = read_data(run / REPORT_FILE)["replays"][0]
        assert alone["loss"] == loss
        frames = seed_replay_frames(seeds, 43, loss)
        assert [e for e, _ in frames] == [f["epoch"] for f in alone["frames"]] == list(range(EPOCHS + 1))
        for (epoch, theta), frame in zip(frames, alone["frames"]):
            # exact: the run's 9-digit decimals read back as float32 are its float32 weights
            assert np.array_equal(theta, np.array(frame["theta"], dtype=np.float32)), (loss, epoch)
        assert not np.array_equal(frames[0][1], frames[-1][1])  # training moved them
    # and the points are that seed's own split
    x_train = np.frombuffer(base64.b64decode(seeds["runs"]["43"]["x"][0]), dtype="<f4")
    assert np.array_equal(x_train, np.array(alone["points"]["train"]["x"], dtype=np.float32))
    assert [int(c) for c in seeds["runs"]["43"]["y"][1]] == alone["points"]["test"]["y"]


def test_each_seeds_replay_costs_the_page_what_the_limit_assumes(replay_study):
    from circles_hinge.outputs.page_budget import seed_replay_bytes

    path, _ = replay_study
    config = load_config(TINY, [f"training.epochs={EPOCHS}"])
    estimate = seed_replay_bytes(config, ["hinge", "squared_hinge"])
    for seed, run in read_data(path / REPORT_FILE)["seeds"]["runs"].items():
        size = len(json.dumps(run, separators=(",", ":")))
        assert 0.9 * estimate <= size <= estimate, (seed, size, estimate)


def test_replays_at_the_limit_keep_the_page_under_2_mb_and_one_more_seed_is_refused(tmp_path):
    from circles_hinge.errors import ConfigError
    from circles_hinge.outputs.page_budget import PAGE_BYTES, replay_seed_limit
    from circles_hinge.studies.comparison import run_comparison
    from circles_hinge.studies.requests import check_comparison

    # 30,000 points a seed: a few seeds fill the page, so the limit is reached in seconds
    sets = ["data.n_samples=30000", "training.batch_size=2000", "training.epochs=2"]
    config = load_config(TINY, sets)
    losses = ["hinge", "squared_hinge"]
    limit = replay_seed_limit(config, losses)
    assert 2 <= limit <= 5
    with pytest.raises(
        ConfigError, match=rf"--replays allows at most {limit} seeds .* got --seeds {limit + 1};"
    ):
        check_comparison(config, losses, limit + 1, replays=True)
    result = run_comparison(check_comparison(config, losses, limit, replays=True), tmp_path)
    page = result.path / REPORT_FILE
    assert len(read_data(page)["seeds"]["runs"]) == limit
    assert 0.7 * PAGE_BYTES < page.stat().st_size < PAGE_BYTES  # near the bound, and under it


def test_rebuilding_a_study_report_keeps_its_replays(replay_study, tmp_path):
    path, _ = replay_study
    copy = tmp_path / "study"
    shutil.copytree(path, copy)
    before = read_data(copy / REPORT_FILE)["seeds"]
    assert rebuild(copy) == copy / REPORT_FILE
    assert read_data(copy / REPORT_FILE)["seeds"] == before


SEED_CLICK = """
const slider = document.getElementById("epoch");
const titles = () => Array.from(document.querySelectorAll("section.replay h3")).map((e) => e.textContent);
const opened = {hash: location.hash, titles: titles()};
slider.value = "2"; slider.dispatchEvent(new Event("input"));
document.querySelector('.strip [data-seed="43"]').dispatchEvent(new Event("click"));
const P = %s;
setTimeout(() => done({
  opened, hash: location.hash, label: document.getElementById("epoch-label").textContent,
  titles: titles(),
  chosen: Array.from(document.querySelectorAll(".strip .chosen")).map((e) => e.dataset.seed),
  tip: document.getElementById("seed-tip").textContent,
  outputs: [0, %d].map((epoch) => [0, 1].map((r) => window.circlesReport.outputs(r, epoch, P))),
  loaded: performance.getEntriesByType("resource").map((e) => e.name),
}), 300);
"""


@needs_browser
def test_clicking_a_seed_replays_it_as_keras_computes_it_with_no_network_request(replay_study):
    from circles_hinge.engine.data import load_split
    from circles_hinge.engine.model import build_model, initial_weights, keras_outputs
    from circles_hinge.engine.runtime import load_tensorflow

    load_tensorflow()
    import keras

    path, single = replay_study
    config = load_config(single["hinge"] / "config.yaml")
    split = load_split(config.data, 43, config.training.validation_split)
    grid = np.stack(np.meshgrid(np.linspace(-1.3, 1.3, 5), np.linspace(-1.3, 1.3, 5)), -1).reshape(-1, 2)
    X = np.concatenate([grid, split.X_test[:10]]).astype(np.float32)
    expected = []  # per epoch (0 and the last), per loss: Keras' outputs of seed 43 trained alone
    for epoch in (0, EPOCHS):
        row = []
        for loss in ("hinge", "squared_hinge"):
            if epoch == 0:
                cfg = config.with_loss(loss)  # seed 43 of each loss: the hinge run's config, its loss
                model = build_model(cfg, initial_weights(cfg, 43))
            else:
                model = keras.models.load_model(single[loss] / "model.keras", compile=False)
            row.append(keras_outputs(model)(X))
        expected.append(row)
    harness = SEED_CLICK % (json.dumps(X.astype(np.float64).tolist()), EPOCHS)
    r = browse(path / REPORT_FILE, harness=harness, strip_csp=True)["result"]
    assert r["opened"]["hash"] == f"#seed=42&epoch={EPOCHS}"  # the first seed, at the last epoch
    assert all("seed 42" in t for t in r["opened"]["titles"])
    assert r["hash"] == "#seed=43&epoch=2" and r["label"] == "epoch 2"  # another seed, the same epoch
    assert [t.split(":")[0] for t in r["titles"]] == ["Hinge loss, seed 43", "Squared hinge loss, seed 43"]
    assert r["chosen"] == ["43", "43"] and "--seed 43 --set training.restarts=0" in r["tip"]
    for want_epoch, have_epoch in zip(expected, r["outputs"]):
        for want, have in zip(want_epoch, have_epoch):
            assert np.abs(np.array(have) - want).max() <= 1e-5
    assert all(url.startswith(("file:", "data:")) for url in r["loaded"]), r["loaded"]


@needs_browser
def test_the_fragment_opens_a_seed_at_an_epoch(replay_study):
    path, _ = replay_study
    harness = """done({label: document.getElementById("epoch-label").textContent, hash: location.hash,
      titles: Array.from(document.querySelectorAll("section.replay h3")).map((e) => e.textContent),
      chosen: Array.from(document.querySelectorAll(".strip .chosen")).map((e) => e.dataset.seed)});"""
    r = browse(path / REPORT_FILE, "#seed=44&epoch=1", harness=harness)["result"]
    assert r["label"] == "epoch 1" and r["hash"] == "#seed=44&epoch=1" and r["chosen"] == ["44", "44"]
    assert len(r["titles"]) == 2 and all("seed 44" in t for t in r["titles"])
    r = browse(path / REPORT_FILE, "#seed=7&epoch=1", harness=harness)["result"]  # not in this study
    assert r["chosen"] == ["42", "42"] and all("seed 42" in t for t in r["titles"])

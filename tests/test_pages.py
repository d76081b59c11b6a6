"""Every kind of page (run, comparison, seed study, sweep, folders side by side, index) in headless
Chromium, as a reader meets it: no sideways scrolling at 390, 768 and 1280 px (the widths are printed
at the end of the run), figures at their natural size that open full size, replays side by side from
1100 px, the replay's axes, colour scale, hidden view and loss readout, the colours the figures use,
controls a keyboard and a screen reader can use, an address that says what is shown, and print: no
table cut off, no heading alone at the foot of a page. Skipped only when Chromium is missing and CI is
not set."""

import base64
import io
import json
import os
import re
import shutil
import unicodedata

import numpy as np
import pytest
from conftest import PAGE_WIDTHS, TINY, one_key_sweep

from circles_hinge.engine.data import load_split
from circles_hinge.loading import load_config
from circles_hinge.outputs import plots, style
from circles_hinge.outputs.html import INDEX_FILE, REPORT_FILE, rebuild_run_report, write_index

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
CHROMEDRIVER = shutil.which("chromedriver")
needs_browser = pytest.mark.skipif(
    (CHROMIUM is None or CHROMEDRIVER is None) and not os.environ.get("CI"),
    reason="headless Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)",
)
EPOCHS = 4
WIDTHS = (390, 768, 1280)
PRINT_WIDTH = 718  # CSS px across an A4 page inside Chromium's default margins (7.47 in at 96 px/in)
RESTART_ACCURACIES = [0.453, 0.453, 1.0, 0.98, 1.0, 1.0, 1.0, 0.453, 0.453, 0.7667]
RESTART_ACCURACIES += [1.0, 1.0, 1.0, 1.0, 1.0, 0.7867, 1.0, 1.0, 1.0, 0.123]  # 20, the last one unique


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """One folder of each kind in one runs folder, and its index: a run whose first initialisation
    failed (20 restarts, the widest table there was), a comparison, a seed study with replays and a
    sweep, all trained for real on the tiny config."""
    from circles_hinge.api import report_compare
    from circles_hinge.studies.comparison import run_comparison
    from circles_hinge.studies.experiment import run_experiment
    from circles_hinge.studies.requests import check_comparison

    runs = tmp_path_factory.mktemp("pages")
    config = load_config(TINY, [f"training.epochs={EPOCHS}"])
    run = run_experiment(config, runs, name="run").path
    metrics = json.loads((run / "metrics.json").read_text())
    metrics.update(initialisation=13, initialisation_accuracies=RESTART_ACCURACIES, initialisations_tried=20)
    (run / "metrics.json").write_text(json.dumps(metrics))
    rebuild_run_report(run)
    losses = ["hinge", "squared_hinge"]
    compare = run_comparison(check_comparison(config, losses, None, "compare"), runs).path
    study = run_comparison(check_comparison(config, losses, 3, "study", replays=True), runs).path
    sweep = one_key_sweep(config, "data.noise", ["0", "0.2"], losses, runs, 2, name="sweep").path
    found = {"run": run, "compare": compare, "study": study, "sweep": sweep}
    pages = {kind: path / REPORT_FILE for kind, path in found.items()}
    # report --compare: folders side by side (a run, a comparison and a study)
    pages["folders"] = report_compare([run, compare, study], runs, runs / "side-by-side.html")
    pages["index"] = write_index(runs)
    assert (runs / INDEX_FILE).is_file()
    return pages


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None or CHROMEDRIVER is None:
        raise AssertionError("CI is set but chromium or chromedriver is missing: .ci/run should install them")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def open_page(driver, page, width: int, fragment: str = "", height: int = 900) -> None:
    """The page in a window whose inside is `width` CSS px wide (the frame around it measured once)."""
    driver.set_window_size(width, height)
    inner = driver.execute_script("return window.innerWidth")
    if inner != width:
        driver.set_window_size(2 * width - inner, height)
    driver.get("about:blank")  # a new document, even when only the fragment differs
    driver.get(page.as_uri() + fragment)
    assert driver.execute_script("return window.innerWidth") == width


def widths(driver) -> dict:
    """The window's inside and the document's width, and the elements that reach past the window."""
    return driver.execute_script(
        """
        const inner = window.innerWidth;
        const wide = Array.from(document.body.querySelectorAll('*'))
          .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > inner + 0.5)
          .slice(0, 5)
          .map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
        return {inner, document: document.documentElement.scrollWidth, wide};
        """
    )


# --- widths ---------------------------------------------------------------------------------------


@needs_browser
@pytest.mark.parametrize("kind", ["run", "compare", "study", "sweep", "folders", "index"])
def test_no_page_scrolls_sideways_on_a_phone_a_tablet_or_a_laptop(pages, browser, kind):
    for width in WIDTHS:
        open_page(browser, pages[kind], width)
        seen = widths(browser)
        PAGE_WIDTHS.append(f"{kind:8s} at {width:4d} px: document {seen['document']:4d} px wide")
        assert seen["document"] <= width and not seen["wide"], (kind, width, seen)


# --- figures ----------------------------------------------------------------------------------------

FIGURE_SIZES = """
return Array.from(document.querySelectorAll('.figures img')).map((img) => ({
  natural: img.naturalWidth, shown: img.getBoundingClientRect().width,
  column: img.closest('.figures').getBoundingClientRect().width}));
"""


@needs_browser
@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
def test_every_figure_shows_at_its_natural_size_up_to_the_column_and_opens_full_size(pages, browser, kind):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    for width in (390, 1280):
        open_page(browser, pages[kind], width)
        sizes = browser.execute_script(FIGURE_SIZES)
        assert sizes, kind
        for size in sizes:
            assert size["shown"] == pytest.approx(min(size["natural"], size["column"]), abs=1), (
                kind,
                width,
                size,
            )
    # a click opens the largest figure at its full size, over the page; Escape closes it
    link = max(browser.find_elements(By.CSS_SELECTOR, "a.zoom"), key=lambda a: a.size["width"])
    natural = browser.execute_script("return arguments[0].querySelector('img').naturalWidth", link)
    link.click()
    opened = browser.execute_script(
        "const d = document.querySelector('dialog.zoomed'); const img = d.querySelector('img');"
        "return {open: d.open, width: img.getBoundingClientRect().width, url: location.href};"
    )
    assert opened["open"] and opened["width"] == pytest.approx(natural, abs=1)
    assert opened["url"].split("#")[0].endswith(REPORT_FILE), "the page stays where it was"
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert not browser.execute_script("return document.querySelector('dialog.zoomed').open")


# --- the replay -------------------------------------------------------------------------------------

BOXES = """
return Array.from(document.querySelectorAll('section.replay')).map((r) => {
  const box = r.getBoundingClientRect(), plane = r.querySelector('canvas.plane').getBoundingClientRect();
  return {left: box.left, top: box.top, planeTop: plane.top, planeBottom: plane.bottom};
});
"""


@needs_browser
def test_a_comparisons_replays_sit_side_by_side_from_1100_px_and_stack_below(pages, browser):
    from selenium.webdriver.common.by import By

    open_page(browser, pages["compare"], 1280)
    browser.execute_script(
        "document.getElementById('replay').scrollIntoView()"
    )  # the player's heading on top
    left, right = browser.execute_script(BOXES)
    assert left["top"] == right["top"] and right["left"] > left["left"] + 400
    # one slider for both, and both planes on a 900 px screen at once
    assert len(browser.find_elements(By.CSS_SELECTOR, "input[type=range]")) == 1
    assert 0 < left["planeTop"] and left["planeBottom"] <= 900 and right["planeBottom"] <= 900
    open_page(browser, pages["compare"], 1000)
    left, right = browser.execute_script(BOXES)
    assert right["left"] == left["left"] and right["top"] > left["planeBottom"]


DRAWN = """
const slider = document.getElementById('epoch');
const move = (n) => { slider.value = String(n); slider.dispatchEvent(new Event('input')); };
const r = window.circlesReport.replay.replays[0];
const at = (n) => { move(n); return {range: r.hiddenRange, drawn: JSON.parse(JSON.stringify(r.drawn)),
  readout: r.readout.textContent, lines: r.lines}; };
return {first: at(0), two: at(2), last: at(Number(slider.max)), extent: r.extent};
"""


@needs_browser
def test_the_replay_has_axes_a_colour_scale_a_hidden_view_that_follows_the_epoch_and_a_loss_readout(
    pages, browser
):
    from selenium.webdriver.common.by import By

    from circles_hinge.engine.model import hidden_activations
    from circles_hinge.engine.runtime import load_tensorflow

    run = pages["run"].parent
    open_page(browser, pages["run"], 1280)
    seen = browser.execute_script(DRAWN)
    plane, hidden, curve = (seen["last"]["drawn"][k] for k in ("plane", "hidden", "curve"))
    # the plane: axis titles, round tick labels on both axes, and the colour scale from -1 to 1
    assert {"x1", "x2", "f(x)", "-1.0", "0.0", "1.0"} <= set(plane)
    assert sum(bool(re.fullmatch(r"-?\d+(\.\d+)?", t)) for t in plane) >= 8
    assert seen["extent"] == pytest.approx(list(style.data_extent(_split(run).X_test)))
    # the loss chart: axis titles, epoch ticks, decades on a log axis, and the epoch shown
    assert {"epoch", "loss (log scale)", "training", "validation", "0", str(EPOCHS)} <= set(curve)
    assert f"epoch {EPOCHS}" in curve
    loss_ticks = [t for t in curve if re.fullmatch(r"\d+\.\d+|10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+", t)]  # 0.6, or 10⁻³
    assert len(loss_ticks) >= 2, curve
    history = np.genfromtxt(run / "history.csv", delimiter=",", names=True)
    numbers = [float(v) for v in re.findall(r"loss (\S+?)[,.](?:\s|$)", seen["two"]["readout"])]
    assert seen["two"]["readout"].startswith("Epoch 2: training loss")
    assert numbers == pytest.approx([history["loss"][1], history["val_loss"][1]], rel=1e-3)
    # the hidden view: its axes are this epoch's range, padded by 6% (Keras' activations at the end)
    # the page counts the points inside the margin as Keras did for the run's table
    inside = json.loads((run / "metrics.json").read_text())["test_points_inside_margin"]
    counted = browser.execute_script("return window.circlesReport.replay.replays[0].stats.test.inside")
    assert (
        counted == inside
        and "Keras counted" not in browser.find_element(By.CSS_SELECTOR, ".frame-status").text
    )
    assert {"hidden unit 1", "hidden unit 2"} <= set(hidden)
    assert seen["first"]["range"] != seen["last"]["range"], "the axes follow the epochs"
    load_tensorflow()
    import keras

    model = keras.models.load_model(run / "model.keras", compile=False)
    activations = hidden_activations(model, _split(run).X_train)
    for d, (lo, hi) in enumerate(seen["last"]["range"]):
        low, high = activations[:, d].min(), activations[:, d].max()
        pad = 0.06 * (high - low) if high - low > 1e-6 else 0.5
        assert (lo, hi) == pytest.approx((low - pad, high + pad), abs=1e-4), d


def _split(run):
    config = load_config(run / "config.yaml")
    return load_split(config.data, config.seed, config.training.validation_split)


PIXEL = """
const r = window.circlesReport.replay.replays[0], c = r.plane;
const ratio = c.width / c.getBoundingClientRect().width;
const [x, y] = [Math.round((r.area.x + 3) * ratio), Math.round((r.area.y + 3) * ratio)];
return Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3));
"""


@needs_browser
def test_the_replay_colours_the_plane_as_the_figures_do(pages, browser):
    """The plane's top-left corner on the page has the colour margins.png gives that point: the class's
    colour of plots.py mixed with white by |f| (one palette, one rule, in Python and in the page)."""
    from circles_hinge.engine.model import keras_outputs
    from circles_hinge.engine.runtime import load_tensorflow
    from circles_hinge.losses import get_loss

    run = pages["run"].parent
    open_page(browser, pages["run"], 1280)
    pixel = browser.execute_script(PIXEL)
    area = browser.execute_script("return window.circlesReport.replay.replays[0].area")
    x0, x1, y0, y1 = style.data_extent(_split(run).X_test)
    point = np.array([[x0 + 3.5 * (x1 - x0) / area["w"], y1 - 3.5 * (y1 - y0) / area["h"]]], dtype=np.float32)
    load_tensorflow()
    import keras

    outputs = keras_outputs(keras.models.load_model(run / "model.keras", compile=False))
    f = float(outputs(point)[0, 0])
    expected = 255 * style.tint(style.CLASS_COLORS[int(f >= 0)], abs(f) / 1.0)
    assert np.abs(np.array(pixel) - expected).max() <= 4, (pixel, expected, f)
    # and margins.png draws that point in that colour (the figure's own pixels, where its axes put it)
    spec = get_loss("hinge")
    split = _split(run)
    fig = plots.margins_figure(split.X_test, split.y_test, outputs, spec, 2, "circles")[0]
    try:
        fig.canvas.draw()
        image = np.asarray(fig.canvas.buffer_rgba())[..., :3]
        px, py = fig.axes[0].transData.transform(point[0])
        drawn = image[int(round(image.shape[0] - py)), int(round(px))]
        assert np.abs(drawn.astype(float) - expected).max() <= 4, (drawn, expected)
    finally:
        style.pyplot().close(fig)


KEYS = """
const slider = document.getElementById('epoch');
return {label: slider.labels.length ? slider.labels[0].textContent : null,
  text: slider.getAttribute('aria-valuetext'),
  epoch: document.getElementById('epoch-label').textContent, hash: location.hash,
  canvases: Array.from(document.querySelectorAll('canvas'))
    .map((c) => [c.getAttribute('role'), c.getAttribute('aria-label')])};
"""


@needs_browser
def test_the_slider_has_a_label_says_its_epoch_moves_with_the_keys_and_the_address_follows(pages, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_page(browser, pages["run"], 1280)
    r = browser.execute_script(KEYS)
    assert (
        r["label"] == "Epoch"
        and r["text"] == f"epoch {EPOCHS} of {EPOCHS}"
        and r["hash"] == f"#epoch={EPOCHS}"
    )
    assert all(role == "img" and f"epoch {EPOCHS}" in label for role, label in r["canvases"]), r["canvases"]
    browser.find_element(By.ID, "epoch").send_keys(Keys.ARROW_LEFT)
    r = browser.execute_script(KEYS)
    assert (r["text"], r["epoch"], r["hash"]) == (
        f"epoch {EPOCHS - 1} of {EPOCHS}",
        f"epoch {EPOCHS - 1}",
        f"#epoch={EPOCHS - 1}",
    )
    browser.find_element(By.ID, "epoch").send_keys(Keys.HOME)
    assert browser.execute_script(KEYS)["text"] == f"epoch 0 of {EPOCHS}, the initial weights"
    # an epoch beyond either end shows the nearest one, and the address says which
    for fragment, shown in (("#epoch=999", EPOCHS), ("#epoch=-3", 0), ("#epoch=2", 2)):
        open_page(browser, pages["run"], 1280, fragment)
        r = browser.execute_script(KEYS)
        assert (r["epoch"], r["hash"]) == (f"epoch {shown}", f"#epoch={shown}"), fragment


SEEDS = """
return Array.from(document.querySelectorAll('.strip .seed')).map((b) => ({
  seed: b.dataset.seed, label: b.getAttribute('aria-label'), border: getComputedStyle(b).borderTopStyle,
  mark: getComputedStyle(b, '::after').content, tag: b.tagName, pressed: b.getAttribute('aria-pressed')}));
"""


@needs_browser
def test_a_study_opens_the_epoch_its_address_asks_and_its_seeds_say_failure_by_shape_and_words(
    pages, browser
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_page(browser, pages["study"], 1280, "#epoch=1")
    state = browser.execute_script(
        "return [document.getElementById('epoch-label').textContent, location.hash]"
    )
    assert state == ["epoch 1", "#seed=42&epoch=1"]  # the first seed, at the epoch asked for
    seeds = browser.execute_script(SEEDS)
    assert len(seeds) == 6 and all(s["tag"] == "BUTTON" for s in seeds)
    for s in seeds:  # a failed seed is hollow and dashed with a cross, not only another colour
        failed = s["label"].endswith("failed")
        assert (s["border"] == "dashed") == failed and ("✗" in s["mark"]) == failed, s
        assert re.fullmatch(r"seed \d+: test accuracy \d+\.\d%(, failed)?", s["label"]), s
    button = browser.find_element(By.CSS_SELECTOR, '.strip .seed[data-seed="43"]')
    button.send_keys(Keys.ENTER)  # a button: Enter opens it
    state = browser.execute_script(
        "return [document.getElementById('epoch-label').textContent, location.hash]"
    )
    assert state == ["epoch 1", "#seed=43&epoch=1"]
    assert [s["seed"] for s in browser.execute_script(SEEDS) if s["pressed"] == "true"] == ["43", "43"]


@needs_browser
def test_the_sweep_chart_and_the_index_are_labelled_and_the_index_links_every_row(pages, browser):
    from selenium.webdriver.common.by import By

    open_page(browser, pages["sweep"], 390)
    svg = browser.find_element(By.CSS_SELECTOR, "#sweep-chart svg")
    assert "against data.noise" in svg.get_attribute("aria-label") and svg.size["width"] <= 390 - 30
    points = browser.find_elements(By.CSS_SELECTOR, "#sweep-chart .point")
    assert len(points) == 4 and all(
        p.get_attribute("aria-label").startswith(("hinge", "squared hinge")) for p in points
    )
    open_page(browser, pages["index"], 1280)
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 30).until(  # the thumbnails load lazily: on a busy machine, not at once
        lambda d: d.execute_script(
            "return Array.from(document.querySelectorAll('#runs img'))"
            ".every((i) => i.complete && i.naturalWidth)"
        )
    )
    rows = browser.execute_script(
        "return Array.from(document.querySelectorAll('#runs tbody tr')).map((r) => ({"
        " name: r.cells[1].textContent,"
        " link: r.cells[1].querySelector('a') && r.cells[1].querySelector('a').getAttribute('href'),"
        " accuracy: r.cells[5].textContent, thumb: r.cells[6].querySelector('img') &&"
        " r.cells[6].querySelector('img').naturalWidth}))"
    )
    assert sorted(r["name"] for r in rows) == ["compare", "run", "study", "sweep"]
    for r in rows:
        assert r["link"] == f"{r['name']}/{REPORT_FILE}" and r["thumb"] == 320, r
    study = next(r for r in rows if r["name"] == "study")
    assert re.fullmatch(r"hinge: mean \d+\.\d%squared_hinge: mean \d+\.\d%", study["accuracy"]), study
    assert browser.execute_script("return document.title").startswith("circles-hinge: runs in ")
    # sorted by test accuracy: by the loss the filter picks (here squared hinge's, a row's second)
    order = browser.execute_script(
        """const loss = document.getElementById('filter-loss');
        loss.value = 'squared_hinge'; loss.dispatchEvent(new Event('change'));
        document.querySelectorAll('#runs th')[5].click();
        return Array.from(document.querySelectorAll('#runs tbody tr')).filter((r) => !r.hidden)
          .map((r) => r.cells[5].textContent);"""
    )
    squared = [float(re.search(r"squared_hinge: (?:mean )?(\d+\.\d)%", text).group(1)) for text in order]
    assert len(squared) == 3 and squared == sorted(squared, reverse=True), order


# --- print --------------------------------------------------------------------------------------------


def printed_pages(driver) -> list[list[str]]:
    """The page printed on A4 as Chromium prints it, as lines of text per sheet."""
    from pypdf import PdfReader

    pdf = driver.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69})
    reader = PdfReader(io.BytesIO(base64.b64decode(pdf["data"])))
    sheets = []
    for page in reader.pages:
        text = unicodedata.normalize("NFKC", page.extract_text())
        sheets.append([line.strip() for line in text.splitlines() if line.strip()])
    return sheets


@needs_browser
@pytest.mark.parametrize("kind", ["run", "compare", "study", "sweep", "folders", "index"])
def test_a_page_prints_without_a_table_cut_off_or_a_heading_left_alone(pages, browser, kind):
    open_page(browser, pages[kind], PRINT_WIDTH)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        seen = widths(browser)
        headings = browser.execute_script(
            "return Array.from(document.querySelectorAll('h1, h2, h3'))"
            ".filter((h) => h.getClientRects().length).map((h) => h.textContent.trim())"
        )
        interactive = browser.execute_script(
            "return Array.from(document.querySelectorAll('.player, .controls, #sweep-chart'))"
            ".filter((e) => e.getClientRects().length).length"
        )
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert seen["document"] <= PRINT_WIDTH and not seen["wide"], (kind, seen)
    assert interactive == 0, "the replay and the controls are not printed, nor their headings"
    sheets = printed_pages(browser)
    PAGE_WIDTHS.append(
        f"{kind:8s} printed:    {len(sheets)} A4 pages, {seen['document']} px of {PRINT_WIDTH} wide"
    )
    for number, lines in enumerate(sheets[:-1]):
        assert lines[-1] not in headings, f"{kind}: page {number + 1} ends with the heading {lines[-1]!r}"
    text = " ".join(" ".join(lines) for lines in sheets)
    assert not any(h.startswith(("Training, replayed", "One seed, replayed")) for h in headings)
    if kind == "run":  # all 20 initialisations are on paper, the last one too
        assert "12.3%" in text and "Restarts" in headings

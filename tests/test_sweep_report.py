"""A grid sweep's report.html in headless Chromium: the chart draws one slice of the grid, and the menu
of a further key moves it to another slice, with that slice's numbers."""

from test_html_report import REPORT_FILE, browse, needs_browser

from circles_hinge.loading import load_config
from circles_hinge.studies.grid import check_grid
from circles_hinge.studies.sweeps import run_grid


@needs_browser
def test_a_grid_sweep_report_draws_the_slice_its_menu_picks(tmp_path, tiny_path):
    grid = check_grid(
        load_config(tiny_path), [("data.noise", [0, 0.2]), ("data.factor", [0.3, 0.6])], ["hinge"], 2
    )
    path = run_grid(grid, tmp_path, name="grid").path
    harness = """
const tip = () => document.getElementById("sweep-tip").textContent;
const points = () => document.querySelectorAll("#sweep-chart .point");
points()[1].dispatchEvent(new Event("click"));
const first = {n: points().length, tip: tip()};
const menu = document.querySelector(".sweep-slice");
menu.value = "0.6"; menu.dispatchEvent(new Event("change"));
points()[1].dispatchEvent(new Event("click"));
done({first, second: {n: points().length, tip: tip()}, options: [...menu.options].map(o => o.text)});
"""
    r = browse(path / REPORT_FILE, harness=harness)["result"]
    assert r["options"] == ["0.3", "0.6"]
    assert r["first"]["n"] == 2 and r["second"]["n"] == 2  # two noise values, one loss, in each slice
    assert "data.noise = 0.2, data.factor = 0.3" in r["first"]["tip"]
    assert "data.noise = 0.2, data.factor = 0.6" in r["second"]["tip"]

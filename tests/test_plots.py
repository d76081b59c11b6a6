"""plots.py, loss_plots.py, study_plots.py and animation.py: every figure drawn from real data and
hand-set models whose outputs are known, then measured as drawn: titles inside the figure, legends
inside their axes, the names the reader sees, and training.gif's size, frames and timing."""

import numpy as np
import pytest
from conftest import TINY

from circles_hinge.engine.data import load_split, n_classes
from circles_hinge.loading import load_config
from circles_hinge.losses import LOSSES, get_loss
from circles_hinge.outputs import hidden_plots, plots, style


def layout_faults(fig) -> list[str]:
    """What a reader would see cut off: a title or other text outside the figure, a legend outside
    the axes it belongs to. Measured with the renderer after layout, as the figure is saved."""
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    faults = []

    def outside(inner, outer, slack=1.0) -> bool:
        return (
            inner.x0 < outer.x0 - slack
            or inner.y0 < outer.y0 - slack
            or inner.x1 > outer.x1 + slack
            or inner.y1 > outer.y1 + slack
        )

    texts = [fig._suptitle] if fig._suptitle is not None else []
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        legend = ax.get_legend()
        if legend is not None and outside(legend.get_window_extent(renderer), ax.get_window_extent(renderer)):
            faults.append(f"legend outside its axes: {[t.get_text() for t in legend.get_texts()]}")
    shown = [t for t in texts if t.get_text() and t.get_visible()]
    for text in shown:
        if outside(text.get_window_extent(renderer), page):
            faults.append(f"text outside the figure: {text.get_text()!r}")
    titles = [ax.title for ax in fig.axes if ax.title.get_text()]
    for i, one in enumerate(titles):  # side by side panels: a long title runs into its neighbour's
        for other in titles[i + 1 :]:
            if one.get_window_extent(renderer).overlaps(other.get_window_extent(renderer)):
                faults.append(f"titles overlap: {one.get_text()!r} and {other.get_text()!r}")
    return faults


def _config(dataset: str = "circles"):
    loss = "categorical_hinge" if dataset == "blobs" else "hinge"
    return load_config(
        TINY, [f"data.dataset={dataset}", "data.n_samples=200", "data.test_size=80"], loss=loss
    )


def _split(dataset: str = "circles"):
    return load_split(_config(dataset).data, 0, 0.2)


def _model(spec, n_classes: int, sharpness: float = 4.5):
    """A hand-set model: class 1 inside radius 0.55 (circles), as outputs of the loss's output layer.
    With tanh, sharpness 4.5 keeps f below 1 inside while f reaches exactly -1 in float32 far out."""

    def outputs(X):
        X = np.asarray(X, dtype=np.float32)
        r = np.linalg.norm(X, axis=1)
        z = (sharpness * (0.55 - r) * (1 + 30 * np.maximum(0, r - 0.55))).astype(np.float32)  # steep outside
        if spec.multiclass:
            return np.stack([X[:, 0] * (k + 1) - X[:, 1] * k for k in range(n_classes)], axis=1)
        if spec.output_activation == "sigmoid":
            return (0.5 + 0.5 * np.tanh(z / 2))[:, None]  # the sigmoid, without overflow
        return np.tanh(z)[:, None]

    return outputs


CASES = [(name, "blobs" if spec.multiclass else "circles") for name, spec in LOSSES.items()] + [
    ("hinge", "moons")
]


@pytest.mark.parametrize(("loss", "dataset"), CASES)
def test_every_run_figure_fits_and_names_the_loss_and_classes_in_words(loss, dataset):
    spec = get_loss(loss)
    split = _split(dataset)
    k = n_classes(_config(dataset).data)
    outputs = _model(spec, k)
    names = style.class_names(dataset, k)
    history = {"loss": np.array([0.5, 0.1]), "val_loss": np.array([0.4, 0.2])}
    hidden = np.c_[np.maximum(split.X_train[:, 0], 0), np.zeros(len(split.X_train))]  # unit 2 is dead
    figures = {
        "data": plots.data_figure(split.X_train, split.y_train, k, "Training data", dataset),
        "loss curve": plots.loss_curve_figure(history, loss),
        "decision regions": plots.decision_regions_figure(
            split.X_test, split.y_test, outputs, spec, k, 1.0, dataset
        ),
        "margins": plots.margins_figure(split.X_test, split.y_test, outputs, spec, k, dataset)[0],
        "hidden layer": hidden_plots.hidden_layer_figure(hidden, split.y_train, spec, k, dataset),
    }
    try:
        for what, fig in figures.items():
            assert layout_faults(fig) == [], what
            words = [t.get_text() for ax in fig.axes for t in (ax.title, ax.yaxis.label)]
            words += [fig._suptitle.get_text()] if fig._suptitle else []
            assert not any(raw in w for w in words for raw in ("_hinge", "crossentropy", "_svm")), (
                what,
                words,
            )
            legend = [t.get_text().split(":")[0] for t in fig.axes[0].get_legend().get_texts()]
            if what == "decision regions":  # with the label the loss trains each class as
                assert legend[:k] == style.labelled_names(spec, names), what
            elif what != "loss curve":
                assert legend[:k] == names, what
            if what in ("data", "decision regions", "margins"):  # the plane from the data's own range
                X = split.X_train if what == "data" else split.X_test
                x0, x1, y0, y1 = style.data_extent(X)
                assert fig.axes[0].get_xlim() == pytest.approx((x0, x1)), what
                assert fig.axes[0].get_ylim() == pytest.approx((y0, y1)), what
                assert x0 < X[:, 0].min() and X[:, 0].max() < x1 and y0 < X[:, 1].min() and X[:, 1].max() < y1
        title = figures["decision regions"].axes[0].get_title()
        assert title == f"{spec.title}: decision regions\ntest data, accuracy 100.0%"
        hidden_title = figures["hidden layer"].axes[0].get_title()
        assert hidden_title.split("\n") == [
            f"{spec.title}: the last hidden layer",
            "the training points as it sees them",
            "dead unit 2: 0 for every point",
        ]
    finally:
        for fig in figures.values():
            style.pyplot().close(fig)


def test_class_names_are_words_the_same_for_every_loss():
    assert style.class_names("circles", 2) == ["outer circle", "inner circle"]  # make_circles: 0 is outer
    assert style.class_names("moons", 2) == ["upper moon", "lower moon"]
    assert style.class_names("blobs", 3) == ["blob at (0, 0)", "blob at (15, 15)", "blob at (0, 15)"]
    assert style.class_names(None, 2) == ["class 0", "class 1"]
    X, y = _split("moons").X_train, _split("moons").y_train
    assert X[y == 0, 1].mean() > X[y == 1, 1].mean(), "class 0 of make_moons is the upper moon"


def test_a_loss_of_exactly_zero_is_marked_on_a_log_axis():
    history = {
        "loss": np.array([0.5, 1e-3, 1e-6, 0.0, 0.0]),
        "val_loss": np.array([0.4, 1e-3, 2e-6, 1e-9, 0.0]),
    }
    fig = plots.loss_curve_figure(history, "hinge")
    ax = fig.axes[0]
    try:
        assert ax.get_yscale() == "log" and ax.get_title() == "Hinge loss per epoch (log scale)"
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "training loss exactly 0 (every epoch from 4)" in labels
        assert "validation loss exactly 0 (every epoch from 5)" in labels
        low = ax.get_ylim()[0]
        curves = [line for line in ax.get_lines() if line.get_transform() == ax.transData]
        drawn = np.concatenate([np.asarray(line.get_ydata(), dtype=float) for line in curves])
        assert np.nanmin(drawn) == pytest.approx(1e-9) and low < 1e-9, "the zero ticks sit below every curve"
        assert layout_faults(fig) == []
    finally:
        style.pyplot().close(fig)


@pytest.mark.parametrize("dataset", ["circles", "moons"])
def test_margins_from_recorded_outputs_are_the_same_figure(tmp_path, dataset):
    """A run's figure process draws the margins from outputs recorded beforehand (it has no TensorFlow):
    the same bytes and count as drawn from the model itself, with the zoomed panel (circles' crowded
    inner circle) and without (moons); points nobody recorded are refused, not guessed."""
    spec, split = get_loss("hinge"), _split(dataset)
    X, y, live = split.X_test, split.y_test, _model(spec, 2)
    recorded = plots.RecordedOutputs(live, plots.margins_points(X, y))
    assert len(recorded.table) == (3 if plots.crowded_class(X, y) is not None else 2)
    counts = [
        plots.plot_margins(tmp_path / f"{name}.png", X, y, outputs, spec, 2, dataset=dataset)
        for name, outputs in (("live", live), ("recorded", recorded))
    ]
    assert counts[0] == counts[1]
    assert (tmp_path / "live.png").read_bytes() == (tmp_path / "recorded.png").read_bytes()
    with pytest.raises(KeyError, match="no outputs were recorded"):
        recorded(X[:-1])


def test_margins_say_which_dashed_line_is_missing_and_why():
    spec = get_loss("hinge")
    split = _split()
    fig, count = plots.margins_figure(split.X_test, split.y_test, _model(spec, 2), spec, 2, "circles")
    try:
        title = fig._suptitle.get_text()
        grid = plots.make_grid(split.X_test)[2]
        top = float(np.max(_model(spec, 2)(grid)))
        assert top < 1 and np.min(_model(spec, 2)(grid)) == -1.0  # the model this test is about
        assert f"no dashed line at +1: f ≤ {top:.5g} here (tanh of {np.arctanh(top):.1f}" in title
        assert "no dashed line at -1" not in title
        assert f"{count} of {len(split.y_test)} test points" in title
        assert count >= (split.y_test == 1).sum(), "every inner-circle point pays loss when f < 1"
        # the crowded inner circle gets a zoomed panel with its rings; the colour bar names the sides
        assert [ax.get_title() for ax in fig.axes[:2]][1].startswith("inner circle, zoomed ×")
        assert fig.axes[-1].get_ylabel() == "model output f(x)\n> 0: inner circle, < 0: outer circle"
        assert layout_faults(fig) == []
    finally:
        style.pyplot().close(fig)
    saturated = lambda X: np.sign(_model(spec, 2, 20)(X))  # noqa: E731 - reaches both ±1 exactly
    assert plots.missing_margin_note(spec, saturated(grid).reshape(241, 241)) == ""


def test_the_losses_figure_draws_the_whole_margin_family_as_scikit_learn_does():
    from circles_hinge.outputs.loss_plots import loss_functions_figure

    fig = loss_functions_figure()
    try:
        family = ["zero-one", "hinge", "perceptron", "squared hinge", "modified Huber", "log loss"]
        for ax in fig.axes:
            labels = [t.get_text() for t in ax.get_legend().get_texts()]
            assert [label.split("  ")[0] for label in labels] == family
        lines = {
            line.get_label().split("  ")[0]: line
            for line in fig.axes[0].get_lines()
            if "  " in line.get_label()
        }
        z, huber = lines["modified Huber"].get_data()
        assert huber[np.argmin(np.abs(z + 3))] == pytest.approx(12.0)  # -4z below z = -1, as scikit-learn's
        z, log_loss = lines["log loss"].get_data()
        assert log_loss[np.argmin(np.abs(z))] == pytest.approx(np.log(2), rel=1e-6)  # the logit's log loss
        assert layout_faults(fig) == []
    finally:
        style.pyplot().close(fig)


def _sweep_rows(values, losses):
    from circles_hinge.results import SeedSummary

    return [
        SeedSummary.from_json(
            {
                "data.x": v,
                "loss": loss,
                "seeds": 5,
                "successes": 3,
                "success_rate": 0.6,
                "success_ci95": [0.3, 0.8],
                "test_accuracy": 0.9,
                "test_accuracy_min": 0.5,
            },
            ["data.x"],
        )
        for v in values
        for loss in losses
    ]


@pytest.mark.parametrize(("values", "joined"), [(["circles", "moons"], False), ([0.0, 0.1, 0.2], True)])
def test_a_sweep_joins_numbers_with_lines_but_not_categories(values, joined):
    from circles_hinge.outputs.study_plots import sweep_figure

    losses = ["hinge", "squared_hinge"]
    fig = sweep_figure("data.x", _sweep_rows(values, losses), losses, 5, 0.99)
    try:
        for ax in fig.axes:
            curves = [line for line in ax.get_lines() if len(line.get_xdata()) == len(values)]
            assert curves and all((line.get_linewidth() > 0) == joined for line in curves)
            assert "Squared hinge" in " ".join(t.get_text() for t in ax.get_legend().get_texts())
        if not joined:
            assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == values
        assert layout_faults(fig) == []
    finally:
        style.pyplot().close(fig)


def test_training_gif_starts_at_epoch_0_holds_the_last_frame_and_fits_a_slide(tmp_path):
    from PIL import Image

    from circles_hinge.engine.model import initial_weights
    from circles_hinge.engine.runtime import load_tensorflow
    from circles_hinge.engine.trainer import ReplicaTrainer
    from circles_hinge.outputs.animation import FIRST_MS, FRAME_MS, LAST_MS, FrameRecorder

    load_tensorflow()
    config = load_config(TINY, ["training.epochs=3"])
    split = load_split(config.data, config.seed, 0.2)
    recorder = FrameRecorder(config, split)
    trainer = ReplicaTrainer(config, [split], [initial_weights(config, config.seed)])
    recorder.start(trainer)
    trainer.fit([config.seed], on_epoch=lambda epoch, logs: recorder.capture(trainer, epoch, logs))
    path = tmp_path / "training.gif"
    recorder.save(path, trainer, 0)
    epochs = [epoch for epoch, _, _ in recorder.frames[id(trainer)]]
    assert epochs == [0, 1, 2, 3]
    first_logs = recorder.frames[id(trainer)][0][1]
    assert 0 <= first_logs["accuracy"][0] <= 1 and first_logs["loss"][0] > 0
    with Image.open(path) as gif:
        assert gif.size[0] == 800 and 600 <= gif.size[1] <= 700
        durations = []
        for i in range(gif.n_frames):
            gif.seek(i)
            durations.append(gif.info["duration"])
        assert durations == [FIRST_MS, FRAME_MS, FRAME_MS, LAST_MS] and LAST_MS >= 2000
        gif.seek(0)
        assert len(gif.convert("RGB").getcolors(maxcolors=1_000_000)) > 20
    assert path.stat().st_size < 4 * 120_000, "about 100 KB a frame at most"


def test_the_comparison_loss_panel_spans_only_the_values_drawn():
    """A quartile band that touches 0 must not stretch the log axis to 1e15 (autoscale adds 5% of
    the decades the band's 1e-300 floor spans)."""
    from circles_hinge.losses import get_loss
    from circles_hinge.outputs.compare_plots import LossView, draw_loss_comparison

    history = {"loss": np.array([0.9, 0.1, 1e-3, 0.0]), "val_loss": np.array([0.8, 0.1, 1e-3, 1e-4])}
    band = {m: (np.zeros(4), v * 3) for m, v in history.items()}
    view = LossView("multiclass_svm", get_loss("multiclass_svm"), None, None, history, 1.0, history_band=band)
    fig = style.pyplot().figure()
    try:
        ax = fig.add_subplot()
        draw_loss_comparison(ax, [view], n_seeds=5)
        low, high = ax.get_ylim()
        assert 2.7 <= high <= 10 and low <= 1e-4
    finally:
        style.pyplot().close(fig)


# --- one plane, one palette, the same in every figure -------------------------------------------------


def test_the_extent_is_the_datas_own_range_padded_and_never_a_sliver():
    X = np.array([[0.0, 0.0], [10.0, 6.0]])
    assert style.data_extent(X) == pytest.approx((-1.5, 11.5, -0.9, 6.9))  # 15% of each span each side
    flat = np.array([[0.0, 1.0], [10.0, 1.0]])  # one row of points: the flat side gets the other's span
    x0, x1, y0, y1 = style.data_extent(flat)
    assert (x1 - x0) == pytest.approx(13.0) == (y1 - y0) and (y0 + y1) / 2 == 1.0
    x0, x1, y0, y1 = style.data_extent(np.array([[3.0, -2.0]]))  # one point: a unit square around it
    assert x0 < 3 < x1 and y0 < -2 < y1 and (x1 - x0) == pytest.approx(y1 - y0)
    for dataset in ("circles", "moons", "blobs"):  # every point inside, whatever the data's scale
        X = _split(dataset).X_test
        x0, x1, y0, y1 = style.data_extent(X)
        assert x0 < X[:, 0].min() and X[:, 0].max() < x1 and y0 < X[:, 1].min() and X[:, 1].max() < y1
        assert 0.5 <= (y1 - y0) / (x1 - x0) <= 2


def _pixel(fig, ax, point) -> np.ndarray:
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float)
    x, y = ax.transData.transform(point)
    return image[int(round(image.shape[0] - y)), int(round(x))]


def test_a_class_has_one_colour_in_every_figure_and_training_gif(tmp_path):
    """Far from the boundary (f = -1, the outer circle's side) the plane is style.tint of the class's
    colour at full strength in margins.png, in every frame of training.gif (its most common colour)
    and, with the same palette and rule, on the page (tests/test_pages.py); the points are that
    colour in every figure, and a loss's lines are its colour."""
    from PIL import Image

    from circles_hinge.outputs.animation import save_training_gif

    spec, split = get_loss("hinge"), _split()
    model = _model(spec, 2)
    far = np.array([[-1.2, -1.2]], dtype=np.float32)  # the lower left corner: no legend there
    assert float(model(far)[0, 0]) == -1.0
    saturated = 255 * style.tint(style.CLASS_COLORS[0], 1.0)
    fig = plots.margins_figure(split.X_test, split.y_test, model, spec, 2, "circles")[0]
    try:
        assert np.abs(_pixel(fig, fig.axes[0], far[0]) - saturated).max() <= 3
    finally:
        style.pyplot().close(fig)
    fig = plots.decision_regions_figure(split.X_test, split.y_test, model, spec, 2, 1.0, "circles")
    try:
        points = [
            c for c in fig.axes[0].collections if c.get_label() != "_nolegend_" and len(c.get_offsets())
        ]
        colors = {tuple(np.round(c.get_facecolor()[0][:3], 3)) for c in points}
        from matplotlib.colors import to_rgb

        assert {tuple(np.round(to_rgb(c), 3)) for c in style.CLASS_COLORS[:2]} <= colors
    finally:
        style.pyplot().close(fig)
    fig = plots.loss_curve_figure(
        {"loss": np.array([0.5, 0.1]), "val_loss": np.array([0.4, 0.2])}, "squared_hinge"
    )
    try:
        assert {line.get_color() for line in fig.axes[0].get_lines()} == {style.LOSS_COLORS["squared_hinge"]}
    finally:
        style.pyplot().close(fig)
    xx, yy, grid = plots.make_grid(split.X_test, n=61)
    logs = {"loss": 0.5, "accuracy": 0.9, "val_loss": 0.4, "val_accuracy": 0.9}
    frames = [(0, logs, model(grid)), (1, logs, model(grid))]
    save_training_gif(tmp_path / "t.gif", frames, xx, yy, split, load_config(TINY))
    with Image.open(tmp_path / "t.gif") as gif:
        gif.seek(1)
        colours = gif.convert("RGB").getcolors(maxcolors=1_000_000)
    count, common = max((n, c) for n, c in colours if max(c) - min(c) > 40)  # not white, grey or black
    assert np.abs(np.array(common) - saturated).max() <= 8 and count > 0.1 * 800 * 656
    assert len({style.LOSS_COLORS[name] for name in LOSSES}) == len(LOSSES)
    assert not set(style.CLASS_COLORS) & set(style.LOSS_COLORS.values()), "a colour means a class or a loss"


def test_training_gif_names_only_the_margin_lines_it_draws():
    from circles_hinge.outputs.animation import _draw_plane, _line_handles

    spec, split = get_loss("hinge"), _split()
    model = _model(spec, 2)  # reaches -1 far out, stays below +1 inside
    xx, yy, grid = plots.make_grid(split.X_test, n=61)
    out = model(grid)
    fig = style.pyplot().figure()
    try:
        boundary, margins = _draw_plane(
            fig.add_subplot(), xx, yy, out[:, 0].reshape(xx.shape), out, spec, 2, 1.0
        )
    finally:
        style.pyplot().close(fig)
    assert boundary and margins == [-1.0]
    labels = [h.get_label() for h in _line_handles(spec, boundary, margins)]
    assert labels == ["boundary", "margin -1 (+1 not reached here)"]
    assert [h.get_label() for h in _line_handles(spec, True, [])] == [
        "boundary",
        "margin ±1: not reached here",
    ]
    dashed = [h.get_linestyle() for h in _line_handles(spec, True, [-1.0, 1.0])]
    assert dashed == ["-", "--"]


def test_decision_regions_cross_the_misclassified_points_and_a_squeezed_class_is_ringed():
    spec, split = get_loss("hinge"), _split()
    shifted = lambda X: _model(spec, 2)(np.asarray(X) + [0.6, 0.0])  # noqa: E731 - a boundary off centre
    wrong = int((plots.predict_classes(spec, shifted(split.X_test)) != split.y_test).sum())
    assert wrong > 0
    fig = plots.decision_regions_figure(split.X_test, split.y_test, shifted, spec, 2, 0.9, "circles")
    try:
        labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert labels == ["outer circle (−1)", "inner circle (+1)", f"misclassified ({wrong})"]
        assert layout_faults(fig) == []
    finally:
        style.pyplot().close(fig)
    y = split.y_train
    hidden = np.c_[np.where(y == 0, np.round(split.X_train[:, 0]), 2.0), np.zeros(len(y))]  # class 0: 3 spots
    spots = len(np.unique(hidden[y == 0], axis=0))
    fig = hidden_plots.hidden_layer_figure(hidden, y, spec, 2, "circles")
    try:
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels[0] == f"outer circle: {(y == 0).sum()} points on {spots} spots (ringed)"
        rings = [c for c in ax.collections if len(c.get_facecolor()) == 0]  # hollow: one ring a spot
        assert labels[1] == f"inner circle: {(y == 1).sum()} points on 1 spot (ringed)"
        assert [len(c.get_offsets()) for c in rings] == [spots, 1]
    finally:
        style.pyplot().close(fig)


def test_the_comparison_figure_fits_shows_every_radius_and_says_what_it_does_not_ring():
    from circles_hinge.outputs.compare_plots import LossView, comparison_figure

    split = _split()
    views = []
    for i, loss in enumerate(["hinge", "squared_hinge"]):
        spec = get_loss(loss)
        model = _model(spec, 2, 4.5 + i)
        r0 = np.full(72, 0.5)
        r0[10] = 1.83  # a peak above the data, as hinge's was
        radii = {0.0: r0, 0.9: r0 - 0.1, -0.9: r0 + 0.1}
        history = {m: np.array([0.5, 0.1]) for m in ("loss", "val_loss")}
        decision = lambda X, m=model: m(X)[:, 0]  # noqa: E731
        views.append(LossView(loss, spec, model, decision, history, 1.0, "seed 0", radii, 0.9))
    fig = comparison_figure(views, split.X_test, split.y_test, 2, 0.3, dataset="circles")
    try:
        assert layout_faults(fig) == []
        by_angle = next(ax for ax in fig.axes if ax.get_xlabel().startswith("angle"))
        assert by_angle.get_ylim()[1] > 1.83
        fig.canvas.draw()
        legend = by_angle.get_legend().get_window_extent()
        peak = by_angle.transData.transform((10 * 5, 1.83 + 0.1))[1]
        assert legend.y0 > peak, "the legend sits above the highest radius"
        margins = [ax for ax in fig.axes if ax.get_title().startswith(("Hinge\n", "Squared hinge\n"))]
        for ax in margins:
            (label,) = [t.get_text() for t in ax.get_legend().get_texts()]
            assert (
                label.startswith("inside the margin (")
                and "inner circle: " in label
                and "not ringed" in label
            )
        loss_axis = next(ax for ax in fig.axes if ax.get_xlabel() == "epoch")
        assert loss_axis.get_ylabel() == "loss (log scale)"
    finally:
        style.pyplot().close(fig)


def test_a_margin_reached_exactly_is_outlined_where_the_plateau_begins():
    """float32 tanh is exactly ±1 beyond an input of 7.9: a plateau the margin line must outline."""
    from matplotlib.contour import ContourSet

    spec, split = get_loss("hinge"), _split()
    plateau = lambda X: np.clip(_model(spec, 2, 20)(X) * 3, -1, 1)  # noqa: E731 - exactly ±1 off the boundary
    fig = style.pyplot().figure()
    try:
        ax = fig.add_subplot()
        _, values, _ = plots.draw_plane(ax, plateau, spec, 2, style.data_extent(split.X_test))
        assert values.max() == 1.0 and values.min() == -1.0
        (margins,) = [c for c in ax.collections if isinstance(c, ContourSet) and len(c.levels) == 2]
        assert np.allclose(margins.levels, [-1, 1]) and all(len(p.vertices) > 10 for p in margins.get_paths())
    finally:
        style.pyplot().close(fig)

"""plots.py, loss_plots.py, study_plots.py and animation.py: every figure drawn from real data and
hand-set models whose outputs are known, then measured as drawn: titles inside the figure, legends
inside their axes, the names the reader sees, and training.gif's size, frames and timing."""

import numpy as np
import pytest
from conftest import TINY

from circles_hinge.engine.data import load_split, n_classes
from circles_hinge.loading import load_config
from circles_hinge.losses import LOSSES, get_loss
from circles_hinge.outputs import plots


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
    names = plots.class_names(dataset, k)
    history = {"loss": np.array([0.5, 0.1]), "val_loss": np.array([0.4, 0.2])}
    hidden = np.c_[np.maximum(split.X_train[:, 0], 0), np.zeros(len(split.X_train))]  # unit 2 is dead
    figures = {
        "data": plots.data_figure(split.X_train, split.y_train, k, "Training data", dataset),
        "loss curve": plots.loss_curve_figure(history, loss),
        "decision regions": plots.decision_regions_figure(
            split.X_test, split.y_test, outputs, spec, k, 1.0, dataset
        ),
        "margins": plots.margins_figure(split.X_test, split.y_test, outputs, spec, k, dataset)[0],
        "hidden layer": plots.hidden_layer_figure(hidden, split.y_train, spec, k, dataset),
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
            if what != "loss curve":
                assert legend[:k] == names, what
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
            plots.pyplot().close(fig)


def test_class_names_are_words_the_same_for_every_loss():
    assert plots.class_names("circles", 2) == ["outer circle", "inner circle"]  # make_circles: 0 is outer
    assert plots.class_names("moons", 2) == ["upper moon", "lower moon"]
    assert plots.class_names("blobs", 3) == ["blob at (0, 0)", "blob at (15, 15)", "blob at (0, 15)"]
    assert plots.class_names(None, 2) == ["class 0", "class 1"]
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
        plots.pyplot().close(fig)


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
        plots.pyplot().close(fig)
    saturated = lambda X: np.sign(_model(spec, 2, 20)(X))  # noqa: E731 - reaches both ±1 exactly
    assert plots.missing_margin_note(spec, saturated(grid).reshape(241, 241)) == ""


def test_the_losses_figure_draws_scikit_learns_family_with_its_values():
    """At the margins scikit-learn's figure marks, each curve holds the loss's defining values."""
    from circles_hinge.outputs.loss_plots import family_curves

    z = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 2.0])
    curves = {label.split("  ")[0]: curve for label, curve in family_curves(z).items()}
    np.testing.assert_allclose(curves["modified Huber"][0], [8, 4, 1, 0.25, 0, 0])
    np.testing.assert_allclose(curves["modified Huber"][1], [-4, -4, -2, -1, 0, 0])
    np.testing.assert_allclose(curves["perceptron"][0], [2, 1, 0, 0, 0, 0])
    np.testing.assert_allclose(curves["log loss"][0], np.log1p(np.exp(-z)))
    np.testing.assert_allclose(curves["hinge"][0], [3, 2, 1, 0.5, 0, 0])
    np.testing.assert_array_equal(curves["zero-one"][0], [1, 1, 0, 0, 0, 0])


def test_the_losses_figure_has_a_legend_on_both_panels():
    from circles_hinge.outputs.loss_plots import loss_functions_figure

    fig = loss_functions_figure()
    try:
        for ax in fig.axes:
            labels = [t.get_text() for t in ax.get_legend().get_texts()]
            assert [label.split("  ")[0] for label in labels] == [
                "zero-one",
                "hinge",
                "squared hinge",
                "modified Huber",
                "log loss",
                "perceptron",
            ]
        assert layout_faults(fig) == []
    finally:
        plots.pyplot().close(fig)


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
        plots.pyplot().close(fig)


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
    fig = plots.pyplot().figure()
    try:
        ax = fig.add_subplot()
        draw_loss_comparison(ax, [view], n_seeds=5)
        low, high = ax.get_ylim()
        assert 2.7 <= high <= 10 and low <= 1e-4
    finally:
        plots.pyplot().close(fig)

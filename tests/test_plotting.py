"""Tests of sklearn_strata.plotting: every function renders to PNG, and rejects bad input."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError

from sklearn_strata import ScoreDiffusionDensity, ScoreDimensionEstimator, StratumCounter
from sklearn_strata.datasets import make_lollipop
from sklearn_strata.plotting import (
    plot_dimension_histograms,
    plot_noise_level_curve,
    plot_points,
    plot_samples,
)

from ._fast import FAST_DIFFUSION

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def lollipop():
    X, y = make_lollipop(300, ambient_dim=4, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def counter(lollipop):
    X, _ = lollipop
    density = ScoreDiffusionDensity(**FAST_DIFFUSION)
    return StratumCounter(ScoreDimensionEstimator(density, random_state=0)).fit(X)


def _save(fig, tmp_path, name):
    assert isinstance(fig, Figure)
    path = tmp_path / name
    fig.savefig(path)
    assert path.is_file() and path.stat().st_size > 0
    return path


# ---------------------------------------------------------------------------------------------
# plot_points
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_features", [1, 2, 3, 4])
@pytest.mark.parametrize("kind", ["dimension", "stratum", "value"])
def test_plot_points_renders(lollipop, tmp_path, n_features, kind):
    X, y = lollipop
    colours = {"dimension": np.where(y == 0, 2.0, 1.0), "stratum": y - (y == 2), "value": X[:, 0]}
    fig = plot_points(X[:, :n_features], colours[kind], kind=kind)
    _save(fig, tmp_path, f"points_{kind}_{n_features}.png")
    ax = fig.axes[0]
    assert ax.name == ("3d" if n_features >= 3 else "rectilinear")
    if n_features == 4:
        assert "PCA" in ax.get_title()


def test_plot_points_colours(lollipop):
    X, y = lollipop
    labels = np.where(y == 2, -1, y)
    ax = plot_points(X, labels, kind="stratum").axes[0]
    texts = [text.get_text() for text in ax.get_legend().get_texts()]
    assert texts == [f"stratum 0 ({np.sum(y == 0)})", f"stratum 1 ({np.sum(y == 1)})",
                     f"junction ({np.sum(y == 2)})"]
    junction = ax.collections[-1].get_facecolor()[0]
    np.testing.assert_allclose(junction[:3], matplotlib.colors.to_rgb("0.6"))
    # a dimension has the same colour whatever the other dimensions present
    first = plot_points(X, np.full(len(X), 2), kind="dimension").axes[0]
    second = plot_points(X, np.r_[np.full(len(X) - 1, 2), 0], kind="dimension").axes[0]
    np.testing.assert_allclose(
        first.collections[0].get_facecolor(), second.collections[1].get_facecolor()
    )


def test_plot_points_on_given_axes(lollipop, counter, tmp_path):
    X, _ = lollipop
    fig, ax = plt.subplots()
    # 4-D data on 2-D Axes: two principal components; transform's (n, 1) output works
    dimensions = counter.dimension_estimator_.transform(X)
    returned = plot_points(X, dimensions, ax=ax, title="mine")
    assert returned is fig
    assert ax.get_title() == "mine"
    assert ax.get_xlabel() == "PC1"
    offsets = ax.collections[0].get_offsets()
    view = PCA(2, random_state=0).fit_transform(X)
    rows = dimensions[:, 0] == np.unique(dimensions)[0]
    np.testing.assert_allclose(np.abs(offsets), np.abs(view[rows]), atol=1e-8)
    _save(fig, tmp_path, "given.png")
    # 2-D data on 3-D Axes
    fig = plt.figure()
    ax3 = fig.add_subplot(projection="3d")
    assert plot_points(X[:, :2], np.ones(len(X)), ax=ax3) is fig
    _save(fig, tmp_path, "given3d.png")


def test_plot_points_does_not_modify_input(lollipop):
    X, y = lollipop
    X_copy, y_copy = X.copy(), y.copy()
    plot_points(X, y, kind="stratum")
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)


def test_plot_points_non_integer_dimensions_use_a_colour_bar(lollipop, tmp_path):
    X, _ = lollipop
    fig = plot_points(X, np.linspace(0, 2, len(X)), kind="dimension")
    assert len(fig.axes) == 2  # the Axes and its colour bar
    _save(fig, tmp_path, "continuous.png")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(colour_by=np.zeros(5)), "colour_by has 5 values but X has 300 rows"),
        (dict(colour_by=np.zeros((300, 2))), r"shape \(n_samples,\) or \(n_samples, 1\)"),
        (dict(colour_by=np.linspace(0, 1, 300), kind="stratum"), "integer labels"),
        (dict(colour_by=np.zeros(300), kind="colour"), "kind must be one of"),
        (dict(colour_by=np.full(300, np.nan)), "NaN"),
    ],
)
def test_plot_points_errors(lollipop, kwargs, match):
    X, _ = lollipop
    with pytest.raises(ValueError, match=match):
        plot_points(X, **kwargs)


def test_plot_points_bad_X():
    with pytest.raises(ValueError, match="2D array"):
        plot_points(np.zeros(10), np.zeros(10))
    X = np.ones((10, 2))
    X[3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        plot_points(X, np.zeros(10))
    with pytest.raises(ValueError, match="0 sample"):
        plot_points(np.zeros((0, 2)), np.zeros(0))


# ---------------------------------------------------------------------------------------------
# plot_noise_level_curve
# ---------------------------------------------------------------------------------------------


def test_plot_noise_level_curve(counter, tmp_path):
    estimator = counter.dimension_estimator_
    fig = plot_noise_level_curve(estimator)
    _save(fig, tmp_path, "curve.png")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    curve = estimator.noise_level_curve_
    np.testing.assert_allclose(ax.lines[0].get_xdata(), curve["levels"])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), curve["mean_dimension"])
    np.testing.assert_allclose(ax.lines[1].get_xdata(), estimator.noise_level_)  # the marker
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), curve["stability"])
    # a StratumCounter plots its dimension estimator's curve; given Axes are used
    fig, ax = plt.subplots()
    assert plot_noise_level_curve(counter, ax=ax, title="curve") is fig
    assert ax.get_title() == "curve"
    _save(fig, tmp_path, "curve_counter.png")


def test_plot_noise_level_curve_errors(lollipop):
    X, _ = lollipop
    with pytest.raises(NotFittedError):
        plot_noise_level_curve(ScoreDimensionEstimator())
    with pytest.raises(NotFittedError):
        plot_noise_level_curve(StratumCounter())
    with pytest.raises(TypeError, match="needs a fitted ScoreDimensionEstimator"):
        plot_noise_level_curve(PCA(2).fit(X))
    density = ScoreDiffusionDensity(**FAST_DIFFUSION)
    given = ScoreDimensionEstimator(density, noise_level=0.3).fit(X[:100])
    with pytest.raises(ValueError, match="noise_level='auto'"):
        plot_noise_level_curve(given)


# ---------------------------------------------------------------------------------------------
# plot_dimension_histograms
# ---------------------------------------------------------------------------------------------


def test_plot_dimension_histograms_counter(counter, tmp_path):
    fig = plot_dimension_histograms(counter, title="histograms")
    _save(fig, tmp_path, "histograms.png")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == np.unique(counter.labels_).size
    counts = sum(sum(patch.get_height() for patch in ax.patches) for ax in visible)
    assert counts == len(counter.labels_)


def test_plot_dimension_histograms_arrays(tmp_path):
    dimensions = np.array([2, 2, 2, 1, 1, 2, 0, 1])
    labels = np.array([0, 0, 0, 1, 1, 1, -1, 2])
    fig = plot_dimension_histograms(dimensions, labels)
    _save(fig, tmp_path, "histograms_arrays.png")
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["stratum 0 (3 points)", "stratum 1 (3 points)", "stratum 2 (1 points)",
                      "junction points (1)"]
    heights = [patch.get_height() for patch in fig.axes[1].patches]
    assert heights == [0, 2, 1]  # dimensions 0, 1, 2 of stratum 1
    # one Axes: grouped bars
    fig, ax = plt.subplots()
    assert plot_dimension_histograms(dimensions, labels, ax=ax) is fig
    assert len(ax.patches) == 4 * 3
    _save(fig, tmp_path, "histograms_grouped.png")
    # a sequence of Axes, one per panel
    fig, axes = plt.subplots(2, 2)
    assert plot_dimension_histograms(dimensions, labels, ax=axes) is fig
    _save(fig, tmp_path, "histograms_grid.png")
    # non-integer dimensions
    fig = plot_dimension_histograms(dimensions + 0.25 * (labels == 0), labels)
    _save(fig, tmp_path, "histograms_real.png")


def test_plot_dimension_histograms_errors(counter):
    dimensions, labels = np.array([1.0, 2.0, 2.0]), np.array([0, 1, 1])
    with pytest.raises(NotFittedError):
        plot_dimension_histograms(StratumCounter())
    with pytest.raises(TypeError, match="needs a fitted StratumCounter"):
        plot_dimension_histograms(PCA(1).fit(np.eye(3)))
    with pytest.raises(ValueError, match="labels is required"):
        plot_dimension_histograms(dimensions)
    with pytest.raises(ValueError, match="labels must be None"):
        plot_dimension_histograms(counter, counter.labels_)
    with pytest.raises(ValueError, match="dimensions has 3 values but labels has 2"):
        plot_dimension_histograms(dimensions, labels[:2])
    with pytest.raises(ValueError, match="labels must be integers"):
        plot_dimension_histograms(dimensions, [0.5, 1, 1])
    with pytest.raises(ValueError, match="1-D"):
        plot_dimension_histograms(np.ones((3, 2)), labels)
    with pytest.raises(ValueError, match="NaN"):
        plot_dimension_histograms([1.0, np.nan, 2.0], labels)
    _, axes = plt.subplots(1, 1, squeeze=False)
    with pytest.raises(ValueError, match="ax has 1 Axes but 2 panels are needed"):
        plot_dimension_histograms(dimensions, labels, ax=axes)


# ---------------------------------------------------------------------------------------------
# plot_samples
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_features", [1, 2, 3, 4])
def test_plot_samples(lollipop, counter, tmp_path, n_features):
    X, _ = lollipop
    samples = counter.dimension_estimator_.score_model_.sample(50, random_state=0)
    fig = plot_samples(X[:, :n_features], samples[:, :n_features])
    _save(fig, tmp_path, f"samples_{n_features}.png")
    ax = fig.axes[0]
    assert len(ax.collections) == 2
    if n_features == 1:
        np.testing.assert_array_equal(ax.collections[1].get_offsets()[:, 1], 1.0)


def test_plot_samples_view_is_fitted_on_X(lollipop):
    X, _ = lollipop
    samples = X[:40] + 0.01
    fig, ax = plt.subplots()
    plot_samples(X, samples, ax=ax)
    pca = PCA(2, random_state=0).fit(X)
    np.testing.assert_allclose(ax.collections[1].get_offsets(), pca.transform(samples))


def test_plot_samples_errors(lollipop):
    X, _ = lollipop
    with pytest.raises(ValueError, match="samples have 3 features but X has 4"):
        plot_samples(X, X[:, :3])
    with pytest.raises(ValueError, match="2D array"):
        plot_samples(X, X[0])
    with pytest.raises(ValueError, match="NaN"):
        plot_samples(X, np.full((3, 4), np.nan))


# ---------------------------------------------------------------------------------------------
# matplotlib is optional
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plot, args",
    [
        (plot_points, (np.eye(3), np.zeros(3))),
        (plot_noise_level_curve, (None,)),
        (plot_dimension_histograms, (np.zeros(3), np.zeros(3))),
        (plot_samples, (np.eye(3), np.eye(3))),
    ],
)
def test_missing_matplotlib_raises_import_error(monkeypatch, plot, args):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install sklearn_strata\[plot\]"):
        plot(*args)


def test_import_does_not_need_matplotlib():
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "import sklearn_strata, sklearn_strata.plotting, sklearn_strata._cli, "
        "sklearn_strata._analyze\n"
        "try:\n"
        "    sklearn_strata.plotting.plot_samples([[0, 1]], [[1, 0]])\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "pip install sklearn_strata[plot]" in result.stdout

"""Scatter plots of point clouds: coloured by local dimension or stratum, and samples."""

import numpy as np
from sklearn.utils import check_array

from ._base import (
    View,
    axes_dimension,
    category_colour,
    check_matplotlib,
    is_integral,
    new_axes,
    scatter,
)

_KINDS = ("dimension", "stratum", "value")
_MAX_LEGEND_ENTRIES = 20
_DEFAULT_TITLES = {"dimension": "local dimension", "stratum": "strata", "value": "values"}


def _check_points(X, name="X"):
    return check_array(X, dtype=np.float64, ensure_min_samples=1, input_name=name)


def _point_size(n_samples):
    return float(np.clip(2000.0 / max(n_samples, 1), 2.0, 30.0))


def _title(title, default, view):
    if title is not None:
        return title
    return default + (" (PCA view)" if view.pca is not None else "")


def plot_points(X, colour_by, *, kind="dimension", ax=None, title=None):
    """Scatter plot of a point cloud coloured by local dimension, stratum or any value.

    Data with two or three features is plotted as is; above three features, on its first
    principal components (three on new or 3-D Axes, two on 2-D Axes). One-feature data is
    plotted against the row index.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The points.
    colour_by : array-like of shape (n_samples,) or (n_samples, 1)
        One value per point: local dimensions (for example
        ``ScoreDimensionEstimator.dimension_pw_`` or the output of its ``transform``),
        stratum labels (``StratumCounter.labels_``) or any real values.
    kind : {"dimension", "stratum", "value"}, default="dimension"
        How ``colour_by`` is read. ``"dimension"``: one colour per integer dimension, with
        a legend (a colour bar when the values are not integers). ``"stratum"``: one
        colour per label, junction points (label ``-1``) in grey. ``"value"``: a
        continuous colour map with a colour bar.
    ax : matplotlib Axes, default=None
        Axes to draw on (a 3-D Axes gives a 3-D view). None creates a new figure, with 3-D
        Axes when ``X`` has at least three features.
    title : str, default=None
        Title of the Axes; None gives a default that names what is coloured.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_strata.plotting import plot_points
    >>> X = np.random.RandomState(0).normal(size=(50, 5))
    >>> fig = plot_points(X, np.r_[np.ones(25), 2 * np.ones(25)], kind="dimension")
    >>> fig.axes[0].get_title()
    'local dimension (PCA view)'
    """
    check_matplotlib("plot_points")
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, _KINDS))}; got {kind!r}.")
    X = _check_points(X)
    values = check_array(
        colour_by, dtype=np.float64, ensure_2d=False, ensure_min_samples=1, input_name="colour_by"
    )
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(
            f"colour_by must have shape (n_samples,) or (n_samples, 1); got {values.shape}."
        )
    if values.shape[0] != X.shape[0]:
        raise ValueError(
            f"colour_by has {values.shape[0]} values but X has {X.shape[0]} rows; give one "
            "value per point."
        )
    if kind == "stratum" and not is_integral(values):
        raise ValueError("kind='stratum' needs integer labels in colour_by.")

    view = View(X, axes_dimension(ax, X.shape[1]))
    if ax is None:
        ax = new_axes(view.n_axes)
    coordinates = view.coordinates(X)
    size = _point_size(X.shape[0])
    categories = np.unique(values)
    discrete = kind == "stratum" or (
        kind == "dimension" and is_integral(values) and categories.size <= _MAX_LEGEND_ENTRIES
    )
    if discrete:
        # Dimension d always gets the same colour; strata are coloured in label order.
        n_colours = max(int(categories.max()), 0) + 1
        ordered = sorted(categories, key=lambda v: (v < 0, v))
        for value in ordered:
            rows = values == value
            if kind == "dimension":
                label = f"dimension {int(value)}"
            else:
                label = "junction" if value < 0 else f"stratum {int(value)}"
            scatter(
                ax,
                coordinates[rows],
                s=size,
                color=category_colour(value, n_colours),
                label=f"{label} ({rows.sum()})",
            )
        ax.legend(loc="best", fontsize="small", markerscale=max(1.0, 20.0 / size) ** 0.5)
    else:
        points = scatter(ax, coordinates, s=size, c=values, cmap="viridis")
        colourbar_label = "local dimension" if kind == "dimension" else None
        ax.figure.colorbar(points, ax=ax, shrink=0.7, label=colourbar_label)
    view.label_axes(ax)
    ax.set_title(_title(title, _DEFAULT_TITLES[kind], view))
    return ax.figure


def plot_samples(X, samples, *, ax=None, title=None):
    """Generated samples drawn over the data they imitate.

    Both clouds are shown in the same view, fitted on ``X``: as is for two or three
    features, else on the first principal components of ``X``. With one feature the data
    is drawn at height 0 and the samples at height 1.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data.
    samples : array-like of shape (n_generated, n_features)
        Generated points, for example from ``ScoreDiffusionDensity.sample`` or the first
        output of ``StratifiedVAEMixture.sample``.
    ax : matplotlib Axes, default=None
        Axes to draw on (a 3-D Axes gives a 3-D view). None creates a new figure, with 3-D
        Axes when ``X`` has at least three features.
    title : str, default=None
        Title of the Axes; None gives a default.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_strata.plotting import plot_samples
    >>> rng = np.random.RandomState(0)
    >>> fig = plot_samples(rng.normal(size=(50, 2)), rng.normal(size=(20, 2)))
    >>> len(fig.axes)
    1
    """
    check_matplotlib("plot_samples")
    X = _check_points(X)
    samples = _check_points(samples, name="samples")
    if samples.shape[1] != X.shape[1]:
        raise ValueError(
            f"samples have {samples.shape[1]} features but X has {X.shape[1]}; both must "
            "live in the same space."
        )
    view = View(X, axes_dimension(ax, X.shape[1]))
    if ax is None:
        ax = new_axes(view.n_axes)
    one_feature = X.shape[1] == 1
    data_view = view.coordinates(X, filler=np.zeros(X.shape[0]) if one_feature else None)
    sample_view = view.coordinates(
        samples, filler=np.ones(samples.shape[0]) if one_feature else None
    )
    scatter(ax, data_view, s=_point_size(X.shape[0]), color="0.55", alpha=0.5,
            label=f"data ({X.shape[0]})")
    scatter(ax, sample_view, s=_point_size(samples.shape[0]), color="C3", alpha=0.8,
            label=f"samples ({samples.shape[0]})")
    ax.legend(loc="best", fontsize="small")
    view.label_axes(ax, filler_label="data (0) / samples (1)" if one_feature else "index")
    ax.set_title(_title(title, "generated samples over the data", view))
    return ax.figure

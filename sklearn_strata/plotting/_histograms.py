"""Histograms of the local dimensions of the points of every stratum."""

import math

import numpy as np
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from ._base import category_colour, check_matplotlib, is_integral

_MAX_COLUMNS = 4


def _dimensions_and_labels(counter_or_dimensions, labels):
    """Local dimensions, labels and a title per label from a counter or from arrays."""
    source = counter_or_dimensions
    if hasattr(source, "fit") and hasattr(source, "get_params"):
        if labels is not None:
            raise ValueError("labels must be None when a fitted StratumCounter is given.")
        check_is_fitted(source)
        if not (hasattr(source, "dimension_pw_") and hasattr(source, "labels_")):
            raise TypeError(
                "plot_dimension_histograms needs a fitted StratumCounter (with labels_ and "
                f"dimension_pw_) or arrays of dimensions and labels; got "
                f"{type(source).__name__}."
            )
        dimensions = np.asarray(source.dimension_pw_, dtype=float)
        labels = np.asarray(source.labels_)
        strata_dims = getattr(source, "strata_dims_", None)
        weights = getattr(source, "weights_", None)
    else:
        if labels is None:
            raise ValueError(
                "labels is required when local dimensions are given as an array (or pass a "
                "fitted StratumCounter)."
            )
        dimensions = check_array(
            source, dtype=np.float64, ensure_2d=False, input_name="dimensions"
        )
        if dimensions.ndim == 2 and dimensions.shape[1] == 1:
            dimensions = dimensions[:, 0]
        labels = check_array(labels, dtype=np.float64, ensure_2d=False, input_name="labels")
        if dimensions.ndim != 1 or labels.ndim != 1:
            raise ValueError(
                "dimensions and labels must be 1-D (one value per point); got shapes "
                f"{dimensions.shape} and {labels.shape}."
            )
        if dimensions.shape[0] != labels.shape[0]:
            raise ValueError(
                f"dimensions has {dimensions.shape[0]} values but labels has "
                f"{labels.shape[0]}; give one of each per point."
            )
        if not is_integral(labels):
            raise ValueError("labels must be integers (-1 for junction points).")
        labels = labels.astype(int)
        strata_dims = weights = None
    return dimensions, labels, strata_dims, weights


def _panel_title(label, n_points, strata_dims, weights):
    if label < 0:
        return f"junction points ({n_points})"
    title = f"stratum {label} ({n_points} points)"
    if strata_dims is not None and label < len(strata_dims):
        title = f"stratum {label}: dim {int(strata_dims[label])}, weight {weights[label]:.2f}"
    return title


def _bins(dimensions):
    """Bar positions: every integer between the extremes, or histogram edges otherwise."""
    if is_integral(dimensions):
        return np.arange(dimensions.min(), dimensions.max() + 1)
    return np.histogram_bin_edges(dimensions, bins="auto")


def _counts(values, bins, integral):
    if integral:
        return np.array([(values == b).sum() for b in bins])
    return np.histogram(values, bins=bins)[0]


def plot_dimension_histograms(counter_or_dimensions, labels=None, *, ax=None, title=None):
    """Histograms of the local dimensions of the points of every stratum.

    A clean stratum has one bar at its dimension; spread shows points near junctions or a
    noise level that does not suit the data.

    Parameters
    ----------
    counter_or_dimensions : StratumCounter or array-like of shape (n_samples,)
        A fitted :class:`~sklearn_strata.StratumCounter` (its ``dimension_pw_`` and
        ``labels_`` are used), or the local dimension of every point.
    labels : array-like of shape (n_samples,), default=None
        Stratum of every point (``-1`` for junction points); required when local
        dimensions are given as an array, None with a counter.
    ax : matplotlib Axes or array-like of Axes, default=None
        Where to draw. None creates a figure with one panel per stratum (and one for the
        junction points, if any). A sequence of Axes needs at least one Axes per panel.
        A single Axes gets all the histograms side by side as grouped bars.
    title : str, default=None
        Title of the figure (suptitle) when it is created here, or of the single Axes.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure drawn on.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the counter is not fitted.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_strata.plotting import plot_dimension_histograms
    >>> dimensions = np.array([2, 2, 2, 1, 1, 2, 0])
    >>> labels = np.array([0, 0, 0, 1, 1, 1, -1])
    >>> fig = plot_dimension_histograms(dimensions, labels)
    >>> [axes.get_title() for axes in fig.axes]
    ['stratum 0 (3 points)', 'stratum 1 (3 points)', 'junction points (1)']
    """
    check_matplotlib("plot_dimension_histograms")
    dimensions, labels, strata_dims, weights = _dimensions_and_labels(
        counter_or_dimensions, labels
    )
    if dimensions.size == 0:
        raise ValueError("There are no points to plot.")
    if not np.all(np.isfinite(dimensions)):
        raise ValueError("The local dimensions contain NaN or infinite values.")
    panels = sorted(np.unique(labels).tolist(), key=lambda v: (v < 0, v))
    n_colours = max(max(panels), 0) + 1
    integral = is_integral(dimensions)
    bins = _bins(dimensions)

    if ax is not None and hasattr(ax, "bar"):
        return _grouped_bars(ax, dimensions, labels, panels, bins, integral, n_colours, title)

    if ax is None:
        import matplotlib.pyplot as plt

        n_columns = min(len(panels), _MAX_COLUMNS)
        n_rows = math.ceil(len(panels) / n_columns)
        fig, grid = plt.subplots(
            n_rows, n_columns, figsize=(3.2 * n_columns, 2.8 * n_rows), squeeze=False
        )
        axes = grid.ravel()
        for extra in axes[len(panels):]:
            extra.set_visible(False)
        if title is not None:
            fig.suptitle(title)
    else:
        axes = np.ravel(np.asarray(ax, dtype=object))
        if axes.size < len(panels):
            raise ValueError(
                f"ax has {axes.size} Axes but {len(panels)} panels are needed (one per "
                "stratum and one for the junction points)."
            )
    for axes_, label in zip(axes, panels, strict=False):
        rows = labels == label
        counts = _counts(dimensions[rows], bins, integral)
        colour = category_colour(label, n_colours)
        if integral:
            axes_.bar(bins, counts, width=0.8, color=colour)
            axes_.set_xticks(bins)
            axes_.set_xlim(bins[0] - 1, bins[-1] + 1)
        else:
            axes_.stairs(counts, bins, fill=True, color=colour)
        axes_.set_title(_panel_title(label, int(rows.sum()), strata_dims, weights),
                        fontsize="medium")
        axes_.set_xlabel("local dimension")
        axes_.set_ylabel("points")
    fig = axes[0].figure
    if ax is None:
        fig.tight_layout()
    return fig


def _grouped_bars(ax, dimensions, labels, panels, bins, integral, n_colours, title):
    """All histograms on one Axes: a group of bars per dimension, one bar per stratum."""
    if not integral:
        centers = (bins[:-1] + bins[1:]) / 2
        width = np.diff(bins).min()
    else:
        centers, width = bins, 1.0
    bar_width = 0.8 * width / len(panels)
    for i, label in enumerate(panels):
        rows = labels == label
        counts = _counts(dimensions[rows], bins, integral)
        offset = (i - (len(panels) - 1) / 2) * bar_width
        name = "junction" if label < 0 else f"stratum {label}"
        ax.bar(centers + offset, counts, width=bar_width, color=category_colour(label, n_colours),
               label=f"{name} ({int(rows.sum())})")
    if integral:
        ax.set_xticks(bins)
        ax.set_xlim(bins[0] - 1, bins[-1] + 1)
    ax.set_xlabel("local dimension")
    ax.set_ylabel("points")
    ax.legend(loc="best", fontsize="small")
    ax.set_title("local dimension per stratum" if title is None else title)
    return ax.figure

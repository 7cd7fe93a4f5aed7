"""Shared helpers of the plotting functions: the matplotlib check, views and colours."""

import numpy as np
from sklearn.decomposition import PCA

JUNCTION_COLOUR = "0.6"


def check_matplotlib(caller):
    """Import matplotlib or raise an ImportError that says how to install it.

    Parameters
    ----------
    caller : str
        Name of the plotting function, for the message.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib, which is not installed: "
            "pip install sklearn_strata[plot]"
        ) from exc


def new_axes(n_axes, figsize=(6.0, 5.0)):
    """A new pyplot figure with one 2-D or 3-D Axes."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize)
    return fig.add_subplot(projection="3d" if n_axes == 3 else None)


def axes_dimension(ax, n_features):
    """Number of coordinates a scatter needs: 3 on 3-D Axes (or new ones for D >= 3), else 2."""
    if ax is None:
        return 3 if n_features >= 3 else 2
    return 3 if getattr(ax, "name", "") == "3d" else 2


class View:
    """Coordinates of points on 2-D or 3-D Axes: as is, or a PCA fitted on reference data.

    Parameters
    ----------
    reference : ndarray of shape (n_samples, n_features)
        Data the view is fitted on.
    n_axes : {2, 3}
        Number of plotted coordinates.
    """

    def __init__(self, reference, n_axes):
        self.n_axes = n_axes
        self.n_features = reference.shape[1]
        self.pca = None
        if self.n_features > n_axes:
            self.pca = PCA(n_axes, random_state=0).fit(reference)
            self.labels = [f"PC{i + 1}" for i in range(n_axes)]
        else:
            self.labels = [f"x{i + 1}" for i in range(self.n_features)]

    def coordinates(self, X, filler=None):
        """Plotted coordinates of ``X``, shape ``(n_samples, n_axes)``.

        Missing coordinates (fewer features than axes) are zeros, except the second one of
        one-feature data: ``filler``, by default the row index.
        """
        if self.pca is not None:
            return self.pca.transform(X)
        columns = [X[:, j] for j in range(self.n_features)]
        if self.n_features == 1:
            columns.append(np.arange(X.shape[0], dtype=float) if filler is None else filler)
        while len(columns) < self.n_axes:
            columns.append(np.zeros(X.shape[0]))
        return np.column_stack(columns)

    def axis_labels(self, filler_label="index"):
        labels = list(self.labels)
        if self.n_features == 1:
            labels.append(filler_label)
        while len(labels) < self.n_axes:
            labels.append("")
        return labels

    def label_axes(self, ax, filler_label="index"):
        labels = self.axis_labels(filler_label)
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
        if self.n_axes == 3:
            ax.set_zlabel(labels[2])


def scatter(ax, coordinates, **kwargs):
    """``ax.scatter`` of 2 or 3 coordinate columns."""
    return ax.scatter(*coordinates.T, **kwargs)


def category_colour(value, n_categories):
    """Colour of an integer category: tab10 (tab20 above ten categories), grey for -1."""
    import matplotlib

    if value < 0:
        return JUNCTION_COLOUR
    cmap = matplotlib.colormaps["tab10" if n_categories <= 10 else "tab20"]
    return cmap(int(value) % cmap.N)


def is_integral(values):
    """Whether every value of a float array is an integer."""
    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))

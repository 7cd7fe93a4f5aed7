"""Plots of point clouds, local dimensions, strata and generated samples.

matplotlib is optional: importing this module never needs it, calling a plot function
does (``pip install sklearn_strata[plot]``). Every function draws on ``ax`` when it is
given, else on a new figure, and returns the :class:`matplotlib.figure.Figure`.
"""

from ._curves import plot_noise_level_curve
from ._histograms import plot_dimension_histograms
from ._points import plot_points, plot_samples

__all__ = [
    "plot_dimension_histograms",
    "plot_noise_level_curve",
    "plot_points",
    "plot_samples",
]

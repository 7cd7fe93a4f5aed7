"""The estimate-versus-noise-level curve behind the automatic choice of the noise level."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import check_matplotlib


def _dimension_estimator(estimator):
    """The fitted estimator holding ``noise_level_curve_``: ``estimator`` or its inner one."""
    check_is_fitted(estimator)
    if not hasattr(estimator, "noise_level_curve_") and hasattr(estimator, "dimension_estimator_"):
        estimator = estimator.dimension_estimator_
        check_is_fitted(estimator)
    if not hasattr(estimator, "noise_level_curve_") or not hasattr(estimator, "noise_level_"):
        raise TypeError(
            "plot_noise_level_curve needs a fitted ScoreDimensionEstimator (or a fitted "
            f"StratumCounter built on one); got {type(estimator).__name__}, which has no "
            "noise_level_curve_."
        )
    return estimator


def plot_noise_level_curve(dimension_estimator, *, ax=None, title=None):
    """Plot the local-dimension estimate against the noise level, with the chosen level.

    With ``noise_level="auto"``, :class:`~sklearn_strata.ScoreDimensionEstimator` reads
    the dimensions of a subsample at a grid of smoothing levels and keeps the level where
    the readings are cleanest (largest low percentile of their margins). This plot shows
    the mean estimated dimension at every level (left axis), the fraction of points whose
    estimate is unchanged at the next level and the 10th percentile of the readings'
    margins scaled to [0, 1] (right axis), and the chosen ``noise_level_`` (dashed line),
    on a logarithmic level axis.

    Parameters
    ----------
    dimension_estimator : ScoreDimensionEstimator or StratumCounter
        A fitted estimator with ``noise_level="auto"``; for a ``StratumCounter`` its
        ``dimension_estimator_`` is plotted.
    ax : matplotlib Axes, default=None
        Axes to draw on (a twin Axes is added for the stability). None creates a new
        figure.
    title : str, default=None
        Title of the Axes; None gives a default.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure drawn on.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    ValueError
        If the noise level was given rather than chosen, so that there is no curve.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_strata import ScoreDiffusionDensity, ScoreDimensionEstimator
    >>> from sklearn_strata.plotting import plot_noise_level_curve
    >>> angle = np.random.RandomState(0).uniform(0, 2 * np.pi, 200)
    >>> X = np.c_[np.cos(angle), np.sin(angle), np.zeros(200)]
    >>> model = ScoreDiffusionDensity(hidden_width=16, n_blocks=1, max_epochs=2, random_state=0)
    >>> estimator = ScoreDimensionEstimator(model, random_state=0).fit(X)
    >>> fig = plot_noise_level_curve(estimator)
    >>> fig.axes[0].get_xscale()
    'log'
    """
    check_matplotlib("plot_noise_level_curve")
    estimator = _dimension_estimator(dimension_estimator)
    curve = estimator.noise_level_curve_
    if not curve:
        raise ValueError(
            f"The noise level was given (noise_level={estimator.noise_level!r}), so no "
            "estimate-versus-level curve was computed; fit with noise_level='auto' to plot it."
        )
    levels = np.asarray(curve["levels"], dtype=float)
    mean_dimension = np.asarray(curve["mean_dimension"], dtype=float)
    stability = np.asarray(curve["stability"], dtype=float)
    from matplotlib.ticker import FuncFormatter, NullFormatter

    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.5, 4.0))
    (dimension_line,) = ax.plot(
        levels, mean_dimension, "o-", color="C0", label="mean local dimension"
    )
    ax.set_xscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.xaxis.set_major_formatter(plain)
    # Minor labels of a log axis (0.06 0.07 0.08 ...) collide on a grid of a dozen levels.
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("noise level (units of X)")
    ax.set_ylabel("mean local dimension", color="C0")
    chosen = ax.axvline(
        estimator.noise_level_,
        color="k",
        linestyle="--",
        label=f"chosen noise level {estimator.noise_level_:.3g}",
    )
    twin = ax.twinx()
    # stability[i] compares level i with level i + 1: plot it at level i.
    (stability_line,) = twin.plot(
        levels[: stability.size],
        stability,
        "s--",
        color="C1",
        label="fraction unchanged at the next level",
    )
    handles = [dimension_line, stability_line, chosen]
    if "margin" in curve:
        # Margins lie in [0, 1/2]: doubled, they share the stability axis.
        (margin_line,) = twin.plot(
            levels, 2.0 * np.asarray(curve["margin"], dtype=float), "^:", color="C2",
            label="10th percentile of reading margins (x2)",
        )
        handles.insert(2, margin_line)
    twin.set_ylim(-0.05, 1.05)
    twin.set_ylabel("stability / margin", color="C1")
    # on the twin Axes, which is drawn on top of ``ax``
    twin.legend(handles, [h.get_label() for h in handles], loc="best", fontsize="small",
                framealpha=0.9)
    ax.set_title("local dimension versus noise level" if title is None else title)
    return ax.figure

"""Finite-sample calibration of the neighbor-distance reference.

With ``n`` points of intrinsic dimension ``d`` the pooled TwoNN estimate of
:class:`~._reference.NeighborDistanceReference` reads below ``d`` once ``d`` is more than
about 5: the second neighbor lies too far for the density to be constant up to it (2,500
points of a 20-dimensional cube read 14.7, of a 70-dimensional one 40). Every
neighbor-distance estimator shares this bias; like DANCo (Ceruti et al., 2014), the
reference is mapped back through the estimate that ``n`` points of a ``d``-dimensional
standard normal give, simulated once for a grid of ``n`` and ``d``
(:func:`simulate_reference_means`; ``_calibration_table.py`` holds the table and
``benchmarks/make_reference_calibration.py`` regenerates it).

Why the normal: the bias depends on the sampling density as well as on ``n`` and ``d``. A
uniform ball is the least biased shape (flat density, one smooth boundary): calibrated on
it, 2,500 points of a 20-dimensional cube or normal still read about 17.5. Calibrated on
the normal, a smooth density without boundary, the cube reads about 18.5-19 and the ball
about 21 (measured in ``benchmarks/RESULTS.md``, BenchmarkManifolds): every error stays
within about 7% at 20 dimensions.
"""

import numpy as np

from ._calibration_table import DIMENSIONS, MEAN_REFERENCE, SAMPLE_SIZES

# Draw-to-draw scatter of the simulated means (about 1% at 20 dimensions) would make the
# correction jump between neighboring sample sizes: each dimension's means are smoothed
# by a quadratic in log n, whose residuals stay within that scatter.
_LOG_SIZES = np.log(SAMPLE_SIZES)
_COEFFICIENTS = np.polyfit(_LOG_SIZES, MEAN_REFERENCE, deg=2)


def simulate_reference_means(n_samples, dimensions, n_repeats=1, seed=0):
    """Mean uncalibrated reference of ``n_samples`` standard normal points in each dimension.

    Parameters
    ----------
    n_samples : int
        Points per simulated data set.
    dimensions : sequence of int
        Dimensions of the normals.
    n_repeats : int, default=1
        Data sets averaged per dimension.
    seed : int, default=0
        Seed of the draws.

    Returns
    -------
    means : ndarray of shape (len(dimensions),)
    """
    from ._reference import NeighborDistanceReference

    rng = np.random.RandomState(seed)
    means = np.empty(len(dimensions))
    for i, dimension in enumerate(dimensions):
        runs = [
            NeighborDistanceReference(calibrate=False, smooth=False, local_pca=False)
            .fit(rng.standard_normal((n_samples, dimension)))
            .reference_.mean()
            for _ in range(n_repeats)
        ]
        means[i] = np.mean(runs)
    return means


def reference_curve(n_samples):
    """Expected uncalibrated reference against the dimension, for ``n_samples`` points.

    The smoothed simulated means at ``n_samples`` (at the nearest simulated size outside
    them), made increasing.

    Returns
    -------
    dimensions, means : ndarray of shape (n_dimensions,)
    """
    log_n = np.clip(np.log(max(n_samples, 1)), _LOG_SIZES[0], _LOG_SIZES[-1])
    means = _COEFFICIENTS[0] * log_n**2 + _COEFFICIENTS[1] * log_n + _COEFFICIENTS[2]
    # Strictly increasing, so that the curve can be inverted.
    means = np.maximum.accumulate(means) + 1e-9 * np.arange(means.size)
    return DIMENSIONS.astype(float), means


def calibrate_reference(reference, n_samples):
    """Map raw pooled TwoNN estimates to the dimension whose standard normal reads them.

    Below the curve's first point (dimension 1) the map is linear through 0; above its
    last point it continues with the slope of the last simulated interval.

    Parameters
    ----------
    reference : ndarray of shape (n,)
        Uncalibrated references.
    n_samples : int
        Size of the data set the references were pooled from.

    Returns
    -------
    calibrated : ndarray of shape (n,)
    """
    dims, means = reference_curve(n_samples)
    reference = np.asarray(reference, dtype=float)
    dims = np.r_[0.0, dims]
    means = np.r_[0.0, means]
    slope = (dims[-1] - dims[-2]) / max(means[-1] - means[-2], 1e-12)
    inside = np.interp(reference, means, dims)
    beyond = dims[-1] + slope * (reference - means[-1])
    return np.where(reference > means[-1], beyond, inside)

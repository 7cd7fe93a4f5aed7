"""A data-side reference for the score field's readings: distances to neighbors.

The score field is read at one smoothing level; when the network has not learned it finely
enough there (high intrinsic dimension for the sample size, strongly non-uniform sampling,
an under-trained model) the readings can be wrong everywhere. The ratio of the distances
to a point's second and first nearest neighbors gives an independent, scale-free estimate
of the local dimension: for locally uniform data of dimension ``d`` it follows a Pareto law
of index ``d`` (Facco et al., 2017, "TwoNN"). Its maximum-likelihood estimate over a
point's ``n_neighbors`` nearest neighbors is the reference each reading is checked
against, and the fallback where the field cannot read. Above about 5 dimensions it reads
low for the sample size, and is calibrated (:mod:`._calibration`).
"""

import numpy as np
from sklearn.neighbors import NearestNeighbors

from ..diffusion._subspace import principal_split, tail_varies_like_noise
from ._calibration import calibrate_reference
from ._local_pca import flat_dimension


def _log_ratios(distances):
    """``log(r2 / r1)`` of every row; 0 where the first neighbor is a duplicate."""
    r1, r2 = distances[:, 0], distances[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(r1 > 0, r2 / np.where(r1 > 0, r1, 1.0), 1.0)
    return np.log(ratio)


# Order of the neighbor whose distance measures the sampling scale around a point: the
# second, the farther of the two distances whose ratio the reference is made of. Where it
# lies within the reach of the ambient noise, the reference measures the noise. (The 10th
# neighbor let the reference, inflated to 4-6 by noise 0.01, overrule the right readings
# of a sparsely sampled helix in R^10: twisted_strata with noise 0.01 read 0.764 exact
# instead of 0.852; every other noisy preset reads the same with either.)
SAMPLING_NEIGHBOR = 2


class NeighborDistanceReference:
    """Local TwoNN dimension from each point's ``n_neighbors`` nearest training points.

    Parameters
    ----------
    n_neighbors : int, default=50
        Points (the point itself included) whose distance ratios are pooled.
    calibrate : bool, default=True
        Whether to correct the estimates for the sample size
        (:func:`~._calibration.calibrate_reference`).
    smooth : bool, default=True
        Whether the reference of a point is the mean of the estimates of its
        ``n_neighbors`` nearest training points rather than its own. One pooled estimate
        scatters by about a seventh of its value (1.4 at 10 dimensions, enough to
        contradict a right reading); the mean over the neighbors scatters about half as
        much (measured on the presets and BenchmarkManifolds).
    local_pca : bool, default=True
        Whether, where the calibrated estimate reads 10 or more, a point takes the count
        of principal directions of its neighborhood instead when the two agree within
        the estimate's known bias (:func:`~._local_pca.flat_dimension`): exact on flat
        strata of high dimension, where every neighbor-distance estimate reads low.

    Attributes
    ----------
    reference_ : ndarray of shape (n_samples,)
        The reference of every training point.
    pooled_ : ndarray of shape (n_samples,)
        The (calibrated) estimate pooled over each training point's own neighbors, before
        any smoothing.
    flat_dimension_ : ndarray of shape (n_samples,)
        The principal count of each training point where ``local_pca`` accepted it, NaN
        elsewhere. A row most of whose neighbors have one takes their mean count as its
        reference.
    sampling_scale_ : ndarray of shape (n_samples,)
        Distance of every training point to its ``SAMPLING_NEIGHBOR``-th neighbor.
    indices_ : ndarray of shape (n_samples, n_neighbors)
        The pooled neighbors of every training point (itself first).
    """

    def __init__(self, n_neighbors=50, calibrate=True, smooth=True, local_pca=True):
        self.n_neighbors = n_neighbors
        self.calibrate = calibrate
        self.smooth = smooth
        self.local_pca = local_pca

    def __setstate__(self, state):
        # Pickled before the calibration and smoothing existed: the references stay as
        # they were computed.
        state.setdefault("calibrate", False)
        state.setdefault("smooth", False)
        state.setdefault("local_pca", False)
        self.__dict__.update(state)

    def fit(self, X):
        """Index ``X`` and compute the reference of every training point."""
        m = max(min(self.n_neighbors, X.shape[0]), 1)
        self.n_samples_ = X.shape[0]
        self.points_ = X
        self.nn_ = NearestNeighbors(n_neighbors=m).fit(X)
        distances, indices = self.nn_.kneighbors(X)
        if m >= 3:
            self.log_ratios_ = _log_ratios(distances[:, 1:3])
        else:
            self.log_ratios_ = np.zeros(X.shape[0])
        self.pooled_ = self._pooled(indices)
        self.reference_, self.sampling_scale_, self.indices_ = self._around(distances, indices)
        self.flat_dimension_ = np.full(X.shape[0], np.nan)
        if self.local_pca:
            self.flat_dimension_ = flat_dimension(X, self.reference_, indices)
            self.reference_ = self._around(distances, indices)[0]
        return self

    def predict(self, X):
        """Reference and sampling scale around each row.

        The estimate pools the ``n_neighbors`` training points nearest to each row (with
        ``smooth``, averages their own pooled estimates); a training point is its own
        nearest neighbor, so it gets its training reference.

        Returns
        -------
        reference : ndarray of shape (n_rows,)
        sampling_scale : ndarray of shape (n_rows,)
            Distance to the ``SAMPLING_NEIGHBOR``-th nearest training point (the farthest
            one when there are fewer).
        indices : ndarray of shape (n_rows, n_neighbors)
            The pooled training points of each row.
        """
        return self._around(*self.nn_.kneighbors(X))

    def _around(self, distances, indices):
        """:meth:`predict` from the training neighbors of each row."""
        reference = self.pooled_[indices].mean(axis=1) if self.smooth else self._pooled(indices)
        flat = getattr(self, "flat_dimension_", None)
        if flat is not None and np.isfinite(flat).any():
            # Where most neighbors took their principal count, so does the row.
            around = flat[indices]
            counted = np.isfinite(around)
            majority = counted.mean(axis=1) > 0.5
            reference = reference.copy()
            reference[majority] = np.nanmean(around[majority], axis=1)
        return reference, distances[:, min(SAMPLING_NEIGHBOR, indices.shape[1] - 1)], indices

    def _pooled(self, indices):
        """Calibrated TwoNN estimate pooling the log-ratios of the given neighbors."""
        total = self.log_ratios_[indices].sum(axis=1)
        m = indices.shape[1]
        with np.errstate(divide="ignore"):
            reference = np.where(total > 0, (m - 1) / np.maximum(total, 1e-300), 0.0)
        if self.calibrate:
            reference = calibrate_reference(reference, self.n_samples_)
        return reference


def noise_free_span(X):
    """Number of principal directions of ``X`` apart from isotropic ambient noise.

    The leading directions of :func:`~..diffusion._subspace.principal_split`: the rank of
    noise-free data, fewer than ``n_features`` when trailing variances look like noise.
    """
    return principal_split(X - X.mean(axis=0))[1]


def noise_reach(X):
    """Distance below which the neighbors of a point are dominated by ambient noise.

    Two noisy copies of one point lie about ``tau * sqrt(2 D)`` apart for isotropic noise of
    standard deviation ``tau`` in ``R^D``; twice that bounds the neighbor distances that
    measure the noise rather than the strata. ``tau`` is estimated from the trailing
    principal variances when they look like isotropic noise (strata spanning fewer
    directions than ``D``) and, like noise, differ between nearest neighbors as much as
    between independent draws; otherwise the reach is 0.
    """
    centered = X - X.mean(axis=0)
    basis, head_dim, tail_variance = principal_split(centered)
    if head_dim >= X.shape[1] or tail_variance <= 0:
        return 0.0
    if not tail_varies_like_noise(centered, basis, head_dim, tail_variance):
        return 0.0
    return float(2.0 * np.sqrt(2.0 * X.shape[1] * tail_variance))


def ambient_noise_std(X):
    """Standard deviation per direction of the isotropic ambient noise of ``X``, or 0.

    From :func:`noise_reach`, which is twice the distance of two noisy copies of a point,
    ``tau * sqrt(2 D)``.
    """
    return noise_reach(X) / (2.0 * np.sqrt(2.0 * X.shape[1]))

"""Local principal components: the exact dimension of flat strata of high dimension.

Above about 10 dimensions every neighbor-distance estimate reads low for the sample size,
even calibrated (:mod:`._calibration`): its bias depends on the shape of the sampling
density (a cube reads about 15% under at 20 dimensions), which no single calibration
knows. The number of principal variances of a point's neighbors above a fraction of the
largest counts the directions its neighborhood spans: exact on a flat stratum of any
dimension below the number of neighbors, whatever the density, but one or more too many
on a curved one (the curvature adds variance along the normals). Where the count lies
within what the calibrated neighbor-distance estimate's bias and scatter explain, it is
the better estimate; outside, the neighborhood is curved (too many directions) or has too
few points for the count (too few).
"""

import numpy as np
from sklearn.neighbors import NearestNeighbors

# Neighbors per count: the principal variances of 100 points of a 35-dimensional stratum
# still lie above 5% of the largest (the Marchenko-Pastur spread of the sample covariance).
N_NEIGHBORS = 100
# A principal variance counts when it exceeds this fraction of the largest (the "fraction
# of the largest" rule of scikit-dimension's lPCA).
VARIANCE_FRACTION = 0.05
# Below this neighbor-distance estimate its bias is under a few percent and the count
# would only add the curvature's extra directions (a 5-sphere counts 6).
MIN_REFERENCE = 10.0
# Range of the count per unit of the calibrated neighbor-distance estimate that its bias
# and scatter explain: 20-cubes read 17 on average, 14.7 at the 1st percentile, 19.1 at
# the 99th; curved strata count 1.5-2 times their dimension.
MIN_RATIO = 0.9
MAX_RATIO = 1.3
# Points whose count is computed; the others take the mean count of the computed points
# among their neighbors (the cost is one SVD of a 100-row block per point).
MAX_COUNTED_POINTS = 4000


def principal_count(X, indices):
    """Number of principal variances of each neighborhood above ``VARIANCE_FRACTION``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Points.
    indices : ndarray of shape (n_rows, n_neighbors)
        The rows of ``X`` forming each neighborhood.

    Returns
    -------
    count : ndarray of shape (n_rows,)
    """
    count = np.empty(indices.shape[0])
    for start in range(0, indices.shape[0], 256):
        block = X[indices[start : start + 256]]
        block = block - block.mean(axis=1, keepdims=True)
        variances = np.linalg.svd(block, compute_uv=False) ** 2
        count[start : start + 256] = (
            variances > VARIANCE_FRACTION * variances[:, :1]
        ).sum(axis=1)
    return count


def flat_dimension(X, reference, neighbors, seed=0):
    """Principal count where it corrects the reference's high-dimensional bias, else NaN.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training points.
    reference : ndarray of shape (n_samples,)
        Calibrated neighbor-distance estimate of each point.
    neighbors : ndarray of shape (n_samples, n_neighbors)
        Nearest training points of each point (itself first).
    seed : int, default=0
        Seed of the choice of counted points when there are more than
        ``MAX_COUNTED_POINTS`` candidates.

    Returns
    -------
    dimension : ndarray of shape (n_samples,)
        The count (averaged over the counted points among the neighbors) where it lies
        between ``MIN_RATIO * reference`` and ``MAX_RATIO * reference``; NaN elsewhere.
    """
    dimension = np.full(X.shape[0], np.nan)
    candidates = np.flatnonzero(reference >= MIN_REFERENCE)
    k = min(N_NEIGHBORS, X.shape[0])
    if candidates.size == 0 or k <= MIN_REFERENCE + 1:
        return dimension
    counted = candidates
    if counted.size > MAX_COUNTED_POINTS:
        rng = np.random.RandomState(seed)
        counted = np.sort(rng.choice(candidates, MAX_COUNTED_POINTS, replace=False))
    _, indices = NearestNeighbors(n_neighbors=k).fit(X).kneighbors(X[counted])
    count = np.full(X.shape[0], np.nan)
    count[counted] = principal_count(X, indices)
    around = count[neighbors[candidates]]
    has_count = np.isfinite(around).any(axis=1)
    mean = np.full(candidates.size, np.nan)
    mean[has_count] = np.nanmean(around[has_count], axis=1)
    ref = reference[candidates]
    # A count capped by the neighbors (k - 1 directions at most) says nothing.
    accepted = (mean >= MIN_RATIO * ref) & (mean <= MAX_RATIO * ref) & (mean < k - 1)
    dimension[candidates[accepted]] = mean[accepted]
    return dimension

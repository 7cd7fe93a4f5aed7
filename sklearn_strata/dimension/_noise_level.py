"""Automatic choice of the smoothing level at which the local dimension is read.

Below the data's nearest-neighbour spacing (and below the ambient noise) the learned field
sees individual points and noise: every direction looks normal or every direction looks
tangent. Far above it, strata blur into one another. In between the estimate stays put
as the level changes. The chosen level is the start of the first such plateau from below.
"""

import numpy as np
from sklearn.neighbors import NearestNeighbors


def nearest_neighbour_spacing(Z, n_neighbors=5, max_points=2000, seed=0):
    """Median distance to the ``n_neighbors``-th neighbour (on a subsample)."""
    rng = np.random.RandomState(seed)
    rows = rng.permutation(Z.shape[0])[:max_points]
    k = min(n_neighbors, Z.shape[0] - 1)
    if k < 1:
        return 0.0
    distances, _ = NearestNeighbors(n_neighbors=k + 1).fit(Z).kneighbors(Z[rows])
    return float(np.median(distances[:, -1]))


def candidate_levels(spacing, min_level, n_levels=8, max_level=1.0):
    """Geometric grid of smoothing levels from about the neighbour spacing upwards."""
    low = max(spacing, 2.0 * min_level)
    high = max(max_level, 4.0 * low)
    return np.geomspace(low, high, n_levels)


def plateau_level(levels, dimensions, agreement=0.95):
    """Pick the lowest level whose estimates agree with the next level's.

    Parameters
    ----------
    levels : ndarray of shape (n_levels,)
        Increasing smoothing levels.
    dimensions : ndarray of shape (n_levels, n_points)
        Rounded local dimension of each point at each level.
    agreement : float, default=0.95
        Fraction of points whose estimate must be unchanged between neighbouring levels.

    Returns
    -------
    index : int
        Index into ``levels`` of the chosen level.
    stability : ndarray of shape (n_levels - 1,)
        Fraction of points unchanged between each level and the next.
    """
    stability = (dimensions[1:] == dimensions[:-1]).mean(axis=1)
    stable = np.flatnonzero(stability >= agreement)
    if stable.size:
        return int(stable[0]), stability
    return int(np.argmax(stability)), stability

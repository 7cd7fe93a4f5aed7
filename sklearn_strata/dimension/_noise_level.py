"""Automatic choice of the smoothing level at which the local dimension is read.

Below the ambient noise (and the data's nearest-neighbor spacing) the learned field sees
noise and individual points: normal directions are not resolved. Far above the size of the
strata, tangent directions blur and strata merge. In between, each point's reading is clean:
the eigenvalues of the denoiser's Jacobian sit near 0 or 1, far from the threshold. The
level is chosen where these margins are largest (see :func:`select_level`).
"""

import numpy as np
from sklearn.neighbors import NearestNeighbors


def nearest_neighbor_spacing(Z, n_neighbors=5, max_points=2000, seed=0):
    """Median distance to the ``n_neighbors``-th neighbor (on a subsample)."""
    rng = np.random.RandomState(seed)
    rows = rng.permutation(Z.shape[0])[:max_points]
    k = min(n_neighbors, Z.shape[0] - 1)
    if k < 1:
        return 0.0
    distances, _ = NearestNeighbors(n_neighbors=k + 1).fit(Z).kneighbors(Z[rows])
    return float(np.median(distances[:, -1]))


def candidate_levels(spacing, min_level, n_levels=12, max_level=1.0):
    """Geometric grid of smoothing levels from a third of the neighbor spacing upwards.

    The spacing of noisy data is inflated by the ambient noise, so the grid starts below
    it; the network's smallest trained level bounds it from below.
    """
    low = max(spacing / 3.0, 2.0 * min_level)
    high = max(max_level, 8.0 * low)
    return np.geomspace(low, high, n_levels)


# Levels above this fraction of the data's principal spread blur the whole data set into
# one blob: the readings there fall towards 0 with large margins, which must not win.
_MAX_LEVEL_FRACTION = 0.5
# Neighbors whose median distance bounds the levels: the neighborhood the reference pools.
LEVEL_NEIGHBORS = 50


def max_reading_level(data_scale, neighborhood_radius):
    """Coarsest level the readings may be taken at.

    Half the data's principal spread, and the median distance to the
    ``LEVEL_NEIGHBORS``-th neighbor: blurred beyond the neighborhoods the reference measures,
    strata merge into each other and surfaces into curves. The readings of a
    self-intersecting surface with noise 0.01, taken at 1.3 times that radius (where
    their margins were largest), were all wrong, 67% of them called reliable; every
    preset that reads right chose a level below 0.65 times it (``benchmarks/RESULTS.md``).
    """
    return min(_MAX_LEVEL_FRACTION * data_scale, neighborhood_radius)


def select_level(dimensions, margins, n_features, quantile=0.1, levels=None, max_level=None):
    """Pick the smoothing level at which the readings are cleanest.

    At every level each point's reading has a margin (how far it is from flipping to the
    next integer). Below the ambient noise the normal directions are not yet resolved;
    far above the strata's size the tangent directions of points near edges, junctions
    and curved parts blur: in both regimes the margins of many points shrink. The chosen
    level maximises a low quantile of the margins, so that it is judged by its worst-read
    points rather than by the easy bulk. Levels where nearly every point reads the full
    ambient dimension (the noise regime, where margins can be large too) or dimension 0
    (everything blurred into one blob) are skipped unless no other level is left, and so
    are levels above ``max_level`` (:func:`max_reading_level`), where blurred strata read
    low with large margins.

    Parameters
    ----------
    dimensions : ndarray of shape (n_levels, n_points)
        Rounded local dimension of each point at each increasing level.
    margins : ndarray of shape (n_levels, n_points)
        Margin of each reading.
    n_features : int
        Ambient dimension ``D``.
    quantile : float, default=0.1
        Quantile of the margins maximised over the levels.
    levels : ndarray of shape (n_levels,), default=None
        The levels, in the units of ``max_level``.
    max_level : float, default=None
        With ``levels``, levels above it are skipped when any other is left.

    Returns
    -------
    index : int
        Index of the chosen level.
    stability : ndarray of shape (n_levels - 1,)
        Fraction of points whose reading is unchanged between each level and the next.
    low_margin : ndarray of shape (n_levels,)
        The ``quantile`` of the margins at each level.
    """
    stability = (dimensions[1:] == dimensions[:-1]).mean(axis=1)
    low_margin = np.quantile(margins, quantile, axis=1)
    full = (dimensions >= n_features).mean(axis=1) > 0.9
    collapsed = (dimensions <= 0).mean(axis=1) > 0.9
    eligible = ~full & ~collapsed
    if levels is not None and max_level is not None:
        local = np.asarray(levels) <= max_level
        if (eligible & local).any():
            eligible &= local
    if not eligible.any():
        eligible = ~full if (~full).any() else np.ones_like(full)
    candidates = np.flatnonzero(eligible)
    return int(candidates[np.argmax(low_margin[candidates])]), stability, low_margin

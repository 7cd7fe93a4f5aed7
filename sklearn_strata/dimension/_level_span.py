"""A data-side check of a reading at its own scale: the directions the neighbors span.

At smoothing level ``s`` the field calls a direction tangent when the data extends along
it well beyond ``s``. The training points within ``LEVEL_RADIUS * s`` of a point measure
the same thing without the network: the principal directions along which they spread by
more than ``SPAN_FRACTION`` of the neighborhood's radius. Where they span fewer directions
than the field reads (and are enough to span every direction of the reading, see
:func:`min_span_points`), the network has smeared the stratum, having not learned it
finely enough there: the point takes the count instead, with confidence 0.

An unclear dimension (confidence below ``RELIABLE``) is also checked at the sampling scale:
where the 10 and the 20 nearest training points span the same number of directions, fewer
than the point's dimension, the point takes that count (see
:func:`sampling_span_corrections`). The same spans keep a low reading that the
neighbor-distance reference, inflated by ambient noise, would otherwise call a collapse
(:func:`spans_no_more`): a helix with noise 0.01 beside a twisted band, read 1 by a
well-trained field, read 4 in the reference, and 59% of its right readings were replaced.

Measured on the presets (``benchmarks/RESULTS.md``): a circle of radius 0.5 beside a disk
of radius 5 with noise 0.01 reads 2 at the chosen level with clean margins (the network
renders the small circle as a smudge); 93% of the points were right, 5% confidently
wrong, and now 100% are right. sphere_line_cube with noise 0.01 went from 0.958 to 0.987
exact, the 10-dimensional stratum of ``high_dim_mixed`` with noise 0.01 (read 11-12) from
0.484 to 0.813. No preset lost more than one point in a thousand.
"""

import numpy as np

# The neighborhood of a reading at level ``s``: the training points within this many
# levels of the point.
LEVEL_RADIUS = 3.0
# A direction is spanned when the neighbors' standard deviation along it exceeds this
# fraction of the neighborhood's radius ``r``. A tangent direction of a uniformly filled
# disk of radius ``r`` has ``r / 2``; the normal noise is spanned once ``r`` is below six
# times it (where the field also reads the noise as tangent).
SPAN_FRACTION = 1.0 / 6.0
# The count is judged only with at least this many neighbors in the neighborhood.
MIN_SPAN_POINTS = 10
# Margin over the fewest points whose sample covariance keeps every tangent direction of
# a uniformly filled d-ball above the threshold (see min_span_points).
SPAN_POINTS_MARGIN = 1.25
# Training neighbors of a point the neighborhood is drawn from.
SPAN_NEIGHBORS = 100
# Nearest training points whose spans check an unclear dimension at the sampling scale.
SAMPLING_SPAN_NEIGHBORS = (10, 20)
_BATCH = 2048


def spanned_directions(points, neighbors, X, level):
    """Directions the training points around each row span at the scale of ``level``.

    Parameters
    ----------
    points : ndarray of shape (n_train, n_features)
        Training points.
    neighbors : ndarray of shape (n_rows, n_neighbors)
        Indices of the nearest training points of each row, nearest first.
    X : ndarray of shape (n_rows, n_features)
        The rows.
    level : float
        Smoothing level of the readings, in the units of ``X``.

    Returns
    -------
    count : ndarray of shape (n_rows,)
        Principal directions of the neighbors within ``LEVEL_RADIUS * level`` along which
        their standard deviation exceeds ``SPAN_FRACTION`` of the farthest one's distance.
    n_points : ndarray of shape (n_rows,)
        Number of those neighbors.
    """
    count = np.zeros(X.shape[0])
    n_points = np.zeros(X.shape[0], dtype=int)
    for start in range(0, X.shape[0], _BATCH):
        rows = slice(start, start + _BATCH)
        around = points[neighbors[rows]]
        distance = np.linalg.norm(around - X[rows, None, :], axis=2)
        inside = distance <= LEVEL_RADIUS * level
        m = inside.sum(axis=1)
        weights = inside / np.maximum(m, 1)[:, None]
        mean = np.einsum("ik,ikd->id", weights, around)
        centered = (around - mean[:, None, :]) * inside[:, :, None]
        # The nonzero eigenvalues of the scatter matrix (D x D) and of the Gram matrix
        # (k x k) are the same: the smaller of the two is decomposed.
        if centered.shape[2] <= centered.shape[1]:
            scatter = np.matmul(centered.transpose(0, 2, 1), centered)
        else:
            scatter = np.matmul(centered, centered.transpose(0, 2, 1))
        variances = np.linalg.eigvalsh(scatter)
        variances = variances / np.maximum(m, 1)[:, None]
        radius = np.max(np.where(inside, distance, 0.0), axis=1)
        count[rows] = (variances > (SPAN_FRACTION * radius[:, None]) ** 2).sum(axis=1)
        n_points[rows] = m
    return count, n_points


def min_span_points(dimensions):
    """Fewest neighbors that span every direction of a stratum of each dimension.

    A tangent direction of a uniformly filled ``d``-ball of radius ``r`` has variance
    ``r**2 / (d + 2)``; the smallest eigenvalue of the sample covariance of ``m`` points
    falls to ``(1 - sqrt(d / m))**2`` times it (the lower edge of the Marchenko-Pastur
    law). It stays above the threshold ``(SPAN_FRACTION * r)**2`` from
    ``m = d / (1 - sqrt((d + 2) * SPAN_FRACTION**2))**2`` on: 5 points for a surface, 16 for
    5 dimensions, 56 for 10. With fewer, a stratum read right could count too few.
    """
    dimensions = np.asarray(dimensions, dtype=float)
    fill = np.sqrt((dimensions + 2.0) * SPAN_FRACTION**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        needed = np.where(fill < 1.0, dimensions / (1.0 - fill) ** 2, np.inf)
    return np.maximum(MIN_SPAN_POINTS, SPAN_POINTS_MARGIN * needed)


def span_corrections(points, neighbors, X, level, dimensions, reference=None):
    """Rows whose neighbors span fewer directions at ``level`` than they read.

    Parameters
    ----------
    points, neighbors, X, level
        As in :func:`spanned_directions`.
    dimensions : ndarray of shape (n_rows,)
        The dimension each row reads.
    reference : ndarray of shape (n_rows,), default=None
        Neighbor-distance estimates. A reading they confirm (within 0.5) is judged only
        from twice :func:`min_span_points`: the bound is for a uniformly filled ball, and
        10-12 points near the edge of a sparsely sampled disk (scaled_strata) spanned one
        direction, against a clean reading of 2 that the reference confirmed.

    Returns
    -------
    fewer : ndarray of bool of shape (n_rows,)
        True where enough neighbors lie within the reading's scale to judge
        (:func:`min_span_points` of the reading), and they span fewer directions than
        ``dimensions``.
    count : ndarray of shape (n_rows,)
        The directions they span.
    """
    count, n_points = spanned_directions(points, neighbors, X, level)
    needed = min_span_points(dimensions)
    if reference is not None:
        confirmed = np.abs(np.asarray(reference) - dimensions) <= 0.5
        needed = np.where(confirmed, 2.0 * needed, needed)
    return (n_points >= needed) & (count < dimensions), count


def sampling_span_corrections(points, neighbors, X, dimensions):
    """Rows whose nearest training points span fewer directions than they read.

    At a junction of strata, or where a stratum is thin for the level, the field reads
    the directions of everything within the level's reach: a surface pierced by a line
    reads 3 around the piercing. The nearest training points (``SAMPLING_SPAN_NEIGHBORS``,
    the farthest one's distance as the radius of :func:`spanned_directions`) sit on the
    point's own stratum. Where the two neighborhoods span the same number of directions,
    fewer than the dimension, and the smaller is large enough to span the dimension
    (:func:`min_span_points`: up to 3 from 10 points; with 20, 4-dimensional manifolds
    of BenchmarkManifolds lost a few right readings), that count is the stratum's
    dimension. Noise and curvature only add directions, so a count below the
    dimension is not their doing; a sampling denser along one direction (a trajectory)
    could lower it, hence the check is for unclear dimensions only.

    Parameters
    ----------
    points, neighbors, X
        As in :func:`spanned_directions`; ``neighbors`` has at least
        ``max(SAMPLING_SPAN_NEIGHBORS)`` columns, or no row is corrected.
    dimensions : ndarray of shape (n_rows,)
        The dimension of each row.

    Returns
    -------
    fewer : ndarray of bool of shape (n_rows,)
        True where the nearest training points span fewer directions than
        ``dimensions``, alike for both neighborhoods.
    count : ndarray of shape (n_rows,)
        The directions the smaller neighborhood spans.
    """
    dimensions = np.asarray(dimensions, dtype=float)
    count = sampling_span(points, neighbors, X)
    judged = SAMPLING_SPAN_NEIGHBORS[0] >= min_span_points(dimensions)
    fewer = judged & (count < dimensions)
    return fewer, np.where(fewer, count, dimensions)


def sampling_span(points, neighbors, X):
    """Directions the nearest training points span, where both neighborhoods agree.

    Parameters
    ----------
    points, neighbors, X
        As in :func:`spanned_directions`; ``neighbors`` needs at least
        ``max(SAMPLING_SPAN_NEIGHBORS)`` columns.

    Returns
    -------
    count : ndarray of shape (n_rows,)
        The directions the ``SAMPLING_SPAN_NEIGHBORS`` nearest training points span
        (radius: the farthest one's distance), NaN where the neighborhoods disagree or
        ``neighbors`` has too few columns.
    """
    if neighbors.shape[1] < max(SAMPLING_SPAN_NEIGHBORS) or X.shape[0] == 0:
        return np.full(X.shape[0], np.nan)
    counts = [
        spanned_directions(points, neighbors[:, :k], X, np.inf)[0]
        for k in SAMPLING_SPAN_NEIGHBORS
    ]
    alike = np.all([c == counts[0] for c in counts[1:]], axis=0)
    return np.where(alike, counts[0], np.nan)


def spans_no_more(points, neighbors, X, dimensions):
    """Rows whose nearest training points span at most the dimension they read.

    A reading far below the neighbor-distance reference looks like the collapse of a
    stratum of high dimension (its readings fall towards 0), but ambient noise inflates
    the reference: a curve with noise 0.01 beside a surface read 4 in the reference, and
    its right readings of 1 were replaced. Where the 10 and the 20 nearest training points
    both span no more directions than the reading (and 10 are enough to span it, see
    :func:`min_span_points`), the reading is no collapse: a stratum of higher dimension
    would show its directions there.

    Parameters
    ----------
    points, neighbors, X
        As in :func:`sampling_span`.
    dimensions : ndarray of shape (n_rows,)
        The readings.

    Returns
    -------
    ndarray of bool of shape (n_rows,)
    """
    dimensions = np.asarray(dimensions, dtype=float)
    judged = SAMPLING_SPAN_NEIGHBORS[0] >= min_span_points(np.maximum(dimensions, 1.0))
    with np.errstate(invalid="ignore"):
        return judged & (sampling_span(points, neighbors, X) <= dimensions)


def spans_as_many(points, neighbors, X, dimensions):
    """Rows whose nearest training points span exactly the dimension they read.

    The mirror of :func:`spans_no_more` for readings above the neighbor-distance
    reference. Near the boundary of a stratum that is small for its dimension the
    distances to the neighbors read low: the 600-point ball of radius 0.5 of the twisted
    preset read 2.7 at the median and about 2 near its surface, and 56 of its clean
    readings of 3 were replaced by 2. Where the 10 and the 20 nearest training points both
    span as many directions as the reading, the reading is no over-reading. Only for data
    without ambient noise, whose directions the spans would count too.

    Parameters
    ----------
    points, neighbors, X
        As in :func:`sampling_span`.
    dimensions : ndarray of shape (n_rows,)
        The readings.

    Returns
    -------
    ndarray of bool of shape (n_rows,)
    """
    dimensions = np.asarray(dimensions, dtype=float)
    judged = SAMPLING_SPAN_NEIGHBORS[0] >= min_span_points(np.maximum(dimensions, 1.0))
    return judged & (sampling_span(points, neighbors, X) == dimensions)

"""Charts: the nearly flat pieces a curved stratum is modelled by.

One decoder from a Gaussian latent code must bend a flat latent space onto its whole
stratum. A closed stratum (a circle, a sphere, a torus) cannot be covered by one chart
without a seam, where the decoder spreads mass off the stratum: the string-in-doughnut
torus, fitted by one 2-d component, scored 7.6 nats per point on held-out data and its
samples lay 1.5 times farther from the strata than the data, against 10.2 and 1.02 with
four charts (``benchmarks/bench_density.py``). Each curved stratum is therefore split by
k-means, piece after piece, until every piece is nearly flat and has no hole around its
mean (a flat ring needs two charts too), or the stratum has ``max_charts`` charts.
"""

import numpy as np
from sklearn.cluster import KMeans
from sklearn.neighbors import NearestNeighbors

# A piece of a d-dimensional stratum is curved when its (d+1)-th principal variance
# exceeds this fraction of its d-th: ambient noise alone stays far below it (noise 0.05
# on a unit disk gives 0.01); a half circle is above it (0.16), a quarter circle just
# below (0.04), so a full circle ends as four charts.
_CURVATURE_RATIO = 0.05
# How far above the noise floor (the median of the trailing principal variances) that
# variance must be.
_NOISE_FACTOR = 4.0
# Fewest points of a chart per latent dimension: below, its decoder has too little to
# learn from. An arc needs fewer than a surface patch: a circle of 195 points (the small
# circle of scaled_strata) stayed one chart at 100, and its seam cost it 7 nats per point
# in one of two fits out of the same data (15.8 against 22.6). A 5-sphere of 690 points
# in R^60 with noise 0.05, cut into four charts of 170, scored 68 nats per held-out point
# where one Gaussian scores 79.
_MIN_CHART_POINTS_PER_DIM = 50
# A piece whose mean lies in a hole of it (see _surrounds_its_mean) is split too, however
# flat: one decoder from a Gaussian latent code cannot cover a ring without a seam. The
# twisted band of twisted_strata (principal variances 2, 2 and 0.04: flat by the measure
# above) was one chart; a 3-d component beside it took 70% of the weight and the
# mixture's samples lay 7.7 times farther from the strata than the data (1.4 as 4 charts).
_HOLE_SPREAD = 0.3
_HOLE_SPACING = 3.0


def _min_chart_points(dim):
    """Fewest points of a chart of latent dimension ``dim``."""
    return _MIN_CHART_POINTS_PER_DIM * max(dim, 1)


def _curvature(X):
    """Principal variances of ``X`` in decreasing order."""
    centered = X - X.mean(axis=0)
    return np.sort(np.linalg.eigvalsh(centered.T @ centered / len(X)))[::-1]


def _is_curved(X, dim):
    """Whether the ``dim+1``-th principal variance of ``X`` is a bend, not noise.

    It must exceed ``_CURVATURE_RATIO`` of the ``dim``-th, and the noise floor (the median
    of the variances after it) by ``_NOISE_FACTOR``: with a latent dimension above the
    stratum's (a sieve candidate), the ``dim``-th and ``dim+1``-th are both noise.
    """
    if dim == 0 or dim >= X.shape[1] or len(X) < 2 * _min_chart_points(dim):
        return False
    variances = _curvature(X)
    trailing = variances[dim + 1 :]
    floor = np.median(trailing) if trailing.size >= 2 else 0.0
    return bool(
        variances[dim] > _CURVATURE_RATIO * max(variances[dim - 1], 1e-300)
        and variances[dim] > _NOISE_FACTOR * floor
    )


def _surrounds_its_mean(X, dim):
    """Whether the mean of ``X`` lies in a hole of it, as in a ring or a band.

    The mean's distance to the nearest point of ``X`` must exceed ``_HOLE_SPREAD`` times
    the points' root mean squared distance from the mean (a quarter circle stays below it)
    and ``_HOLE_SPACING`` times the median distance between nearest points (in many
    dimensions every point is far from the mean, but then also from each other).
    """
    if dim == 0 or len(X) < 2 * _min_chart_points(dim):
        return False
    centered = X - X.mean(axis=0)
    hole = float(np.sqrt((centered**2).sum(axis=1).min()))
    spread = float(np.sqrt((centered**2).sum(axis=1).mean()))
    spacing = float(np.median(NearestNeighbors(n_neighbors=2).fit(X).kneighbors(X)[0][:, 1]))
    return hole > _HOLE_SPREAD * spread and hole > _HOLE_SPACING * spacing


def split_into_charts(X, latent_dims, resp, max_charts, seed):
    """Split every curved stratum into up to ``max_charts`` nearly flat charts.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Standardised data.
    latent_dims : list of int
        Dimension of every stratum.
    resp : ndarray of shape (n_samples, n_strata)
        Initial responsibilities of the strata; a row's largest one above 0.5 makes the
        point a member of that stratum.
    max_charts : int
        Most charts per stratum.
    seed : int
        Seed of the k-means splits.

    Returns
    -------
    chart_dims : list of int
        Latent dimension of every chart.
    chart_strata : list of int
        Stratum of every chart.
    chart_resp : ndarray of shape (n_samples, n_charts)
        Initial responsibilities of the charts: a member's stratum responsibility goes to
        its chart, a non-member's is shared equally by the stratum's charts.
    """
    members_of = resp.argmax(axis=1)
    hard = resp.max(axis=1) > 0.5
    chart_dims, chart_strata, columns = [], [], []
    for stratum, dim in enumerate(latent_dims):
        members = np.flatnonzero(hard & (members_of == stratum))
        pieces = [members]
        while len(pieces) < max_charts:
            curved = [
                i for i, piece in enumerate(pieces)
                if _is_curved(X[piece], dim) or _surrounds_its_mean(X[piece], dim)
            ]
            if not curved:
                break
            # Split the largest curved piece first.
            i = max(curved, key=lambda j: len(pieces[j]))
            labels = KMeans(n_clusters=2, n_init=3, random_state=seed).fit_predict(X[pieces[i]])
            halves = [pieces[i][labels == 0], pieces[i][labels == 1]]
            if min(len(half) for half in halves) < _min_chart_points(dim):
                break
            pieces[i : i + 1] = halves
        share = resp[:, stratum] / len(pieces)
        for piece in pieces:
            column = np.where(hard & (members_of == stratum), 0.0, share)
            column[piece] = resp[piece, stratum]
            columns.append(column)
            chart_dims.append(int(dim))
            chart_strata.append(stratum)
    return chart_dims, chart_strata, np.stack(columns, axis=1)

"""Graph procedure that turns pointwise intrinsic dimensions into strata.

The functions here only need the data, one local dimension per point and, optionally, one
tangent basis per point; they do not care where those come from (a score model, local PCA,
scikit-dimension, the ground truth of a synthetic data set). :class:`StratumCounter` chains
them; they are kept as plain functions so that baselines and tests can run the very same
procedure on any pointwise estimate.

The procedure:

1. a k-nearest-neighbor graph that keeps only edges between points of equal (rounded)
   local dimension; exact duplicates of equal dimension are always joined, so a
   zero-dimensional stratum (many samples at one location) stays one piece;
2. optionally, edges whose endpoints' tangent spaces turn sharply (largest principal angle
   above a threshold) are dropped, which separates strata of the same dimension that cross;
3. connected components (:func:`scipy.sparse.csgraph.connected_components`); where the
   tangents are given, the points where strata of equal dimension cross are cut out
   (smoothed tangents turn gradually from one stratum to the other there, a chain of
   small turns the split keeps) and each stratum's arms are rejoined through every
   junction, each arm once (:mod:`._crossings`);
4. components of equal dimension that come close to each other through a junction, with
   agreeing tangent spaces and a gap along those tangent spaces, are merged (a line that
   pierces a sphere is cut in pieces by the band of mixed estimates around the sphere);
5. a component that lines the inside of a component of one dimension more (the shell of
   a ball, read one dimension less near its boundary) joins it, and a band of readings of
   one dimension more between strata that cross is made of junction points;
6. components smaller than ``min_stratum_size`` are junction points, labelled ``-1``;
7. strata are ordered by decreasing size; each gets the mode of its local dimensions and
   its fraction of the labelled points; every stratum then grows into the crossings along
   its own tangent spaces, and a crossing point still unreached joins the stratum whose
   local plane passes nearest to it.
"""

import numbers

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.neighbors import NearestNeighbors

from ._crossings import (
    assign_crossing_points,
    crossing_points,
    grow_into_crossings,
    match_through_crossings,
)
from ._frames import _component_modes, _continuation_angle, _end_frame, max_principal_angles

# New points assigned at once by ``assign_strata``: its neighbor distances, indices and
# votes take O(rows * n_neighbors) memory, so rows are processed in batches of this size.
_PREDICT_BATCH = 65536
# Noisy strata fill every ambient direction at the scale of the nearest neighbors, where a
# k-d tree prunes little: a ball tree answered the same queries 2.5x faster (R^10, 10^5 rows).
_TREE = "ball_tree"

__all__ = [
    "absorb_boundary_shells",
    "assign_strata",
    "labelled_index",
    "component_labels",
    "equal_dimension_graph",
    "find_strata",
    "junction_bands",
    "local_pca_tangents",
    "max_principal_angles",
    "merge_aligned_components",
    "min_size_to_count",
    "neighbor_scale",
    "order_strata",
    "round_dimensions",
]


def round_dimensions(dimensions, n_features):
    """Round local dimensions to integers in ``[0, n_features]``.

    Parameters
    ----------
    dimensions : array-like of shape (n_samples,)
        Local intrinsic dimensions (any real values; NaN is read as ``0``).
    n_features : int
        Ambient dimension ``D``.

    Returns
    -------
    dims : ndarray of shape (n_samples,), dtype int
        ``clip(round(dimensions), 0, n_features)``.
    """
    dims = np.nan_to_num(np.asarray(dimensions, dtype=float).ravel(), nan=0.0)
    return np.clip(np.rint(dims), 0, n_features).astype(np.intp)


def min_size_to_count(min_stratum_size, n_samples):
    """Turn ``min_stratum_size`` (a fraction of ``n_samples`` or a count) into a count.

    Parameters
    ----------
    min_stratum_size : float in (0, 1) or int >= 1
        A float below 1 is a fraction of ``n_samples``; otherwise a number of points.
    n_samples : int
        Number of points.

    Returns
    -------
    count : int
        Smallest number of points a stratum may have (at least 1).
    """
    if isinstance(min_stratum_size, numbers.Integral) or min_stratum_size >= 1:
        return max(1, int(min_stratum_size))
    return max(1, int(np.ceil(min_stratum_size * n_samples)))


def _kneighbors(X, n_neighbors):
    """Indices and distances of the ``n_neighbors`` nearest other points of every point."""
    n_neighbors = min(n_neighbors, X.shape[0] - 1)
    if n_neighbors < 1:
        empty = np.empty((X.shape[0], 0))
        return empty, empty.astype(np.intp)
    nn = NearestNeighbors(n_neighbors=n_neighbors, algorithm=_TREE).fit(X)
    return nn.kneighbors()


def neighbor_scale(X, n_neighbors, distances=None):
    """Typical k-nearest-neighbor distance of a point cloud.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Points.
    n_neighbors : int
        The ``k`` of the k-th nearest neighbor.
    distances : ndarray of shape (n_samples, k), default=None
        Precomputed sorted neighbor distances (as returned by ``kneighbors``).

    Returns
    -------
    scale : float
        Median over points of the distance to the k-th nearest other point, ignoring points
        whose k-th neighbor is a duplicate (distance ``0``); ``0.0`` when all are.
    """
    if distances is None:
        distances, _ = _kneighbors(X, n_neighbors)
    if distances.shape[1] == 0:
        return 0.0
    kth = distances[:, -1]
    kth = kth[kth > 0]
    return float(np.median(kth)) if kth.size else 0.0


def local_pca_tangents(X, n_neighbors=20):
    """Tangent bases from local PCA (SVD of centered k-nearest-neighbor neighborhoods).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Points.
    n_neighbors : int, default=20
        Neighborhood size (the point itself included).

    Returns
    -------
    tangents : ndarray of shape (n_samples, n_features, n_features)
        Orthonormal columns ordered from most tangent (largest local variance) to most normal;
        the tangent space of a ``d``-dimensional point is spanned by its first ``d`` columns.
    """
    X = np.asarray(X, dtype=float)
    n_samples, n_features = X.shape
    k = min(n_neighbors, n_samples)
    nn = NearestNeighbors(n_neighbors=k, algorithm=_TREE).fit(X)
    idx = nn.kneighbors(X, return_distance=False)
    tangents = np.empty((n_samples, n_features, n_features))
    for start in range(0, n_samples, 2048):
        patch = X[idx[start : start + 2048]]
        patch = patch - patch.mean(axis=1, keepdims=True)
        _, _, vt = np.linalg.svd(patch, full_matrices=True)
        tangents[start : start + 2048] = np.swapaxes(vt, 1, 2)
    return tangents


def equal_dimension_graph(
    X, dims, n_neighbors=10, *, tangents=None, max_angle=None, neighbors=None
):
    """Symmetric k-nearest-neighbor graph restricted to points of equal local dimension.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Points.
    dims : array-like of shape (n_samples,)
        Integer local dimensions (see :func:`round_dimensions`).
    n_neighbors : int, default=10
        Number of neighbors of every point.
    tangents : ndarray of shape (n_samples, n_features, m), default=None
        Orthonormal tangent bases, most tangent column first, ``m >= max(dims)``. With
        ``max_angle``, edges whose endpoints' ``d``-dimensional tangent spaces have a
        largest principal angle above ``max_angle`` are dropped (``0 < d < n_features``).
    max_angle : float, default=None
        Threshold in degrees; ``None`` keeps every equal-dimension edge.
    neighbors : ndarray of shape (n_samples, k), default=None
        Precomputed neighbor indices (each row excluding the point itself).

    Returns
    -------
    adjacency : sparse matrix of shape (n_samples, n_samples)
        Symmetric CSR connectivity matrix.
    """
    X = np.asarray(X)
    dims = np.asarray(dims)
    n_samples, n_features = X.shape
    if neighbors is None:
        _, neighbors = _kneighbors(X, n_neighbors)
    rows = np.repeat(np.arange(n_samples), neighbors.shape[1])
    cols = neighbors.ravel()
    # Exact duplicates are joined to the first copy: kNN ties among many coincident samples
    # need not connect them all.
    _, first, inverse = np.unique(X, axis=0, return_index=True, return_inverse=True)
    rep = first[inverse.ravel()]
    dup = rep != np.arange(n_samples)
    rows = np.concatenate([rows, np.flatnonzero(dup)])
    cols = np.concatenate([cols, rep[dup]])

    keep = dims[rows] == dims[cols]
    rows, cols = rows[keep], cols[keep]
    if tangents is not None and max_angle is not None and rows.size:
        keep = np.ones(rows.size, dtype=bool)
        edge_dims = dims[rows]
        for d in np.unique(edge_dims):
            if d <= 0 or d >= n_features:
                continue
            sel = np.flatnonzero(edge_dims == d)
            for start in range(0, sel.size, 65536):
                s = sel[start : start + 65536]
                Ti, Tj = tangents[rows[s], :, :d], tangents[cols[s], :, :d]
                angles = max_principal_angles(Ti, Tj)
                keep[s] = angles <= max_angle
        rows, cols = rows[keep], cols[keep]
    data = np.ones(rows.size, dtype=np.int8)
    adjacency = sparse.coo_matrix((data, (rows, cols)), shape=(n_samples, n_samples)).tocsr()
    adjacency = adjacency + adjacency.T
    adjacency.data[:] = 1
    return adjacency


def component_labels(adjacency):
    """Connected components of an undirected graph.

    Parameters
    ----------
    adjacency : sparse matrix of shape (n_samples, n_samples)
        Connectivity matrix.

    Returns
    -------
    labels : ndarray of shape (n_samples,), dtype int
        Component index of every node.
    """
    _, labels = connected_components(adjacency, directed=False)
    return labels.astype(np.intp)


def merge_aligned_components(
    X,
    labels,
    dims,
    *,
    radius,
    max_angle=30.0,
    n_neighbors=10,
    min_size=1,
    n_pairs=5,
    apart=None,
):
    """Merge components of equal dimension that continue each other across a gap.

    Two components ``A`` and ``B`` of the same dimension ``d`` (mode of their local
    dimensions) are merged when their closest points are within ``radius`` and, for the
    ``n_pairs`` closest cross pairs ``(a, b)`` (median over pairs), the ``d``-dimensional
    tangent spaces of ``A`` near ``a`` and of ``B`` near ``b`` (local PCA on each
    component's own points) agree within ``max_angle`` and the gap ``b - a`` lies within
    ``max_angle`` of those tangent spaces. That rejoins a stratum cut by a junction (a line
    through a sphere) but keeps apart strata that cross (their tangents disagree) and
    parallel strata (their gap is normal). A curved stratum turns across the gap as it
    turns along its pieces: the turn the straighter piece makes over the distance between
    the two tangent estimates (at most ``2 * max_angle``) is forgiven on the angle between
    the tangent spaces, and half of it on the gap's (the chord of an arc leaves each end
    at half its turn). A helix crossing a band 17 times turned by 40-80 degrees across its
    cuts; two circles that cross keep the angle of their crossing. Zero- and
    full-dimensional components only need to be within ``radius``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Points.
    labels : ndarray of shape (n_samples,)
        Component labels (``0..n_components - 1``).
    dims : ndarray of shape (n_samples,)
        Integer local dimensions.
    radius : float
        Largest gap bridged.
    max_angle : float, default=30.0
        Angle threshold in degrees.
    n_neighbors : int, default=10
        Neighborhood size of the component-local PCA.
    min_size : int, default=1
        Components with fewer points take no part.
    n_pairs : int, default=5
        Number of closest cross pairs that vote.
    apart : ndarray of shape (n_pairs_apart, 2), default=None
        Pairs of point indices whose components are not merged here (strata that each
        continue through a crossing on another arm, :func:`match_through_crossings`).

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Labels of the merged components (``0..n_merged - 1``).
    """
    X = np.asarray(X, dtype=float)
    n_features = X.shape[1]
    n_comp = labels.max() + 1 if labels.size else 0
    sizes = np.bincount(labels, minlength=n_comp)
    modes = _component_modes(labels, dims)
    order = np.argsort(labels, kind="stable")
    members = np.split(order, np.cumsum(sizes)[:-1])
    kept_apart = set()
    if apart is not None and len(apart):
        kept_apart = {frozenset(pair) for pair in labels[np.asarray(apart)].tolist()}
    trees = {}
    rows, cols = [], []
    candidates = [c for c in range(n_comp) if sizes[c] >= max(min_size, 1)]
    for ia, a in enumerate(candidates):
        for b in candidates[ia + 1 :]:
            d = modes[a]
            if modes[b] != d or frozenset((a, b)) in kept_apart:
                continue
            # query the smaller component against the larger one
            small, large = (a, b) if sizes[a] <= sizes[b] else (b, a)
            if large not in trees:
                trees[large] = NearestNeighbors(n_neighbors=1).fit(X[members[large]])
            dist, idx = trees[large].kneighbors(X[members[small]])
            dist, idx = dist[:, 0], idx[:, 0]
            if dist.min() > radius:
                continue
            if 0 < d < n_features:
                order = np.argsort(dist, kind="stable")[:n_pairs]
                order = order[dist[order] <= radius]
                scores = []
                for o in order:
                    p = X[members[small][o]]
                    q = X[members[large][idx[o]]]
                    frame_p = _end_frame(X[members[small]], p, n_neighbors, d)
                    frame_q = _end_frame(X[members[large]], q, n_neighbors, d)
                    angle = _continuation_angle(frame_p, frame_q, q - p, max_angle)
                    scores.append(angle)
                if np.median(scores) > max_angle:
                    continue
            rows.append(a)
            cols.append(b)
    if not rows:
        return labels
    graph = sparse.coo_matrix(
        (np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n_comp, n_comp)
    )
    _, merged = connected_components(graph, directed=False)
    return merged[labels].astype(np.intp)


def absorb_boundary_shells(labels, dims, neighbors, *, min_size=1, min_interior=0.8):
    """Fold a shell of ``d - 1`` readings into the ``d``-dimensional stratum it lines.

    The points within about one smoothing level of the boundary of a solid stratum (a
    ball) read one dimension less, interleaved with points that read right; their component
    then lies inside the solid rather than beside it. A component whose points mostly have
    most of their neighbors elsewhere (its *interior fraction*, the share of its points
    with at least half of their neighbors in it, is below ``min_interior``), and whose
    outside neighbors mostly belong to one component of one dimension more, joins that
    component. Strata that meet others only at junctions keep interior fractions near 1
    (0.96-1.00 on every benchmark preset; the shell of the twisted preset's ball 0.34-0.67).

    Parameters
    ----------
    labels : ndarray of shape (n_samples,)
        Component labels (``0..n_components - 1``).
    dims : ndarray of shape (n_samples,)
        Integer local dimensions.
    neighbors : ndarray of shape (n_samples, k)
        Neighbor indices of every point (the point itself excluded).
    min_size : int, default=1
        Components with fewer points take no part.
    min_interior : float, default=0.8
        Interior fraction below which a component may be a shell.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Component labels, with every absorbed shell relabelled as the stratum it lines.
    """
    labels = np.asarray(labels).copy()
    if labels.size == 0 or neighbors.shape[1] == 0:
        return labels
    modes = _component_modes(labels, dims)
    sizes = np.bincount(labels, minlength=modes.size)
    for c in np.flatnonzero(sizes >= max(min_size, 1)):
        members = labels == c
        around = labels[neighbors[members]]
        interior = np.mean(np.mean(around == c, axis=1) >= 0.5)
        outside = around[around != c]
        if interior >= min_interior or outside.size == 0:
            continue
        host = np.bincount(outside).argmax()
        if modes[host] == modes[c] + 1:
            labels[members] = host
    return labels


def junction_bands(
    labels, dims, neighbors, *, min_size=1, min_interior=0.8, min_interior_between=0.9
):
    """Components that are bands of junction readings between strata of lower dimension.

    Where two ``d``-dimensional strata cross, the points within about one smoothing level
    of the crossing see both at once and read ``d + 1``: a thin band, most of whose points
    have most of their neighbors in the strata it separates. A component whose interior
    fraction (as in :func:`absorb_boundary_shells`) is below ``min_interior`` and whose
    outside neighbors mostly belong to a component of lower dimension is such a band, not
    a stratum (two spheres crossing along a circle: a band of 3 readings with interior
    fraction 0.76; every stratum of the benchmark presets 0.97-1.00). A band that lies
    between two strata of lower dimension (each at least a quarter of its outside
    neighbors) is one up to ``min_interior_between`` (the pieces of such a band, merged
    across the gaps between them: 0.87).

    Parameters
    ----------
    labels : ndarray of shape (n_samples,)
        Component labels (``0..n_components - 1``).
    dims : ndarray of shape (n_samples,)
        Integer local dimensions.
    neighbors : ndarray of shape (n_samples, k)
        Neighbor indices of every point (the point itself excluded).
    min_size : int, default=1
        Components with fewer points take no part.
    min_interior : float, default=0.8
        Interior fraction below which a component may be a band.
    min_interior_between : float, default=0.9
        The same, for a component between two strata of lower dimension.

    Returns
    -------
    band : ndarray of shape (n_samples,), dtype bool
        The points of the bands.
    """
    band = np.zeros(labels.size, dtype=bool)
    if labels.size == 0 or neighbors.shape[1] == 0:
        return band
    modes = _component_modes(labels, dims)
    sizes = np.bincount(labels, minlength=modes.size)
    for c in np.flatnonzero(sizes >= max(min_size, 1)):
        members = labels == c
        around = labels[neighbors[members]]
        interior = np.mean(np.mean(around == c, axis=1) >= 0.5)
        outside = around[around != c]
        if interior >= min_interior_between or outside.size == 0:
            continue
        shares = np.bincount(outside, minlength=modes.size) / outside.size
        lower = shares * (modes < modes[c])
        between = np.sum(lower >= 0.25) >= 2
        if lower.max() == shares.max() and (interior < min_interior or between):
            band |= members
    return band


def order_strata(labels, dims, min_size=1):
    """Drop small components and order the rest by decreasing size.

    Parameters
    ----------
    labels : ndarray of shape (n_samples,)
        Component labels (non-negative).
    dims : ndarray of shape (n_samples,)
        Integer local dimensions.
    min_size : int, default=1
        Components with fewer points are labelled ``-1``.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Stratum labels ``0..n_strata - 1`` (largest stratum first; ties broken by the
        first point's index), ``-1`` for junction points.
    strata_dims : ndarray of shape (n_strata,), dtype int
        Mode of the local dimensions of every stratum.
    weights : ndarray of shape (n_strata,)
        Fraction of the labelled points in every stratum (sums to 1 when any is labelled).
    """
    labels = np.asarray(labels)
    n_comp = labels.max() + 1 if labels.size else 0
    sizes = np.bincount(labels, minlength=n_comp)
    first = np.full(n_comp, labels.size)
    np.minimum.at(first, labels, np.arange(labels.size))
    kept = np.flatnonzero(sizes >= min_size)
    kept = kept[np.lexsort((first[kept], -sizes[kept]))]
    new = np.full(n_comp, -1, dtype=np.intp)
    new[kept] = np.arange(kept.size)
    out = new[labels] if labels.size else labels.astype(np.intp)
    strata_dims = np.zeros(kept.size, dtype=np.intp)
    if kept.size:
        modes = _component_modes(labels, np.asarray(dims))
        strata_dims = modes[kept].astype(np.intp)
    n_labelled = sizes[kept].sum()
    weights = sizes[kept] / n_labelled if n_labelled else np.zeros(0)
    return out, strata_dims, weights.astype(float)


def find_strata(
    X,
    dims,
    *,
    n_neighbors=10,
    min_stratum_size=0.02,
    tangents=None,
    max_tangent_angle=None,
    merge_radius=3.0,
    kneighbors=None,
):
    """Run the whole graph procedure on given local dimensions (and tangent bases).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Points.
    dims : array-like of shape (n_samples,)
        Local intrinsic dimensions; rounded and clipped to ``[0, n_features]``.
    n_neighbors : int, default=10
        Number of neighbors in the graph.
    min_stratum_size : float or int, default=0.02
        Smallest stratum, as a fraction of ``n_samples`` (float below 1) or a count.
    tangents : ndarray of shape (n_samples, n_features, m), default=None
        Orthonormal tangent bases (most tangent first) used to split crossing strata.
    max_tangent_angle : float, default=None
        Largest principal angle (degrees) allowed along an edge, and the angle threshold of
        the junction merge; ``None`` splits nothing and merges with a threshold of 30.
    merge_radius : float or None, default=3.0
        Gap bridged by the junction merge, in units of the median distance to the
        ``n_neighbors``-th neighbor; ``None`` or ``0`` disables the merge.
    kneighbors : tuple of ndarray, default=None
        ``(distances, indices)`` of the ``n_neighbors`` nearest other points of every
        point, as :func:`_kneighbors` returns them; computed when None.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Stratum of every point, ``-1`` for junction points.
    strata_dims : ndarray of shape (n_strata,)
        Dimension of every stratum.
    weights : ndarray of shape (n_strata,)
        Fraction of labelled points in every stratum.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_strata.strata._graph import find_strata
    >>> t = np.linspace(0, 1, 100)
    >>> X = np.r_[np.c_[t, 0 * t], np.c_[t, 0 * t + 5]]
    >>> labels, strata_dims, weights = find_strata(X, np.ones(200), n_neighbors=5)
    >>> strata_dims, weights
    (array([1, 1]), array([0.5, 0.5]))
    """
    X = np.asarray(X, dtype=float)
    n_samples, n_features = X.shape
    dims = round_dimensions(dims, n_features)
    distances, neighbors = _kneighbors(X, n_neighbors) if kneighbors is None else kneighbors
    split = tangents is not None and max_tangent_angle is not None
    adjacency = equal_dimension_graph(
        X,
        dims,
        n_neighbors,
        tangents=tangents if split else None,
        max_angle=max_tangent_angle if split else None,
        neighbors=neighbors,
    )
    labels = component_labels(adjacency)
    min_size = min_size_to_count(min_stratum_size, n_samples)
    max_angle = 30.0 if max_tangent_angle is None else max_tangent_angle
    crossing = np.zeros(n_samples, dtype=bool)
    apart = None
    if split:
        crossing = crossing_points(
            X, labels, dims, (distances, neighbors), max_angle=max_angle, min_size=min_size
        )
    if split:
        adjacency = adjacency.tocoo()
        kept = ~crossing[adjacency.row] & ~crossing[adjacency.col]
        adjacency = sparse.coo_matrix(
            (adjacency.data[kept], (adjacency.row[kept], adjacency.col[kept])),
            shape=adjacency.shape,
        ).tocsr()
        labels, apart, swallowed = match_through_crossings(
            X,
            component_labels(adjacency),
            dims,
            crossing,
            neighbors,
            max_angle=max_angle,
            radius=(merge_radius or 3.0) * neighbor_scale(X, n_neighbors, distances),
            min_size=min_size,
        )
        crossing = crossing | swallowed
        # every crossing point on its own until the strata are known
        labels = np.unique(
            np.where(crossing, labels.max() + 1 + np.arange(n_samples), labels), return_inverse=True
        )[1].ravel()
    if merge_radius:
        scale = neighbor_scale(X, n_neighbors, distances)
        labels = merge_aligned_components(
            X,
            labels,
            dims,
            radius=merge_radius * scale,
            max_angle=max_angle,
            n_neighbors=max(n_neighbors, 3),
            min_size=max(2, min_size // 2),
            apart=apart,
        )
    labels = absorb_boundary_shells(labels, dims, neighbors, min_size=min_size)
    band = junction_bands(labels, dims, neighbors, min_size=min_size)
    if band.any():
        # a band's points are junction points: each on its own, below any stratum's size
        labels = np.unique(
            np.where(band, labels.max() + 1 + np.arange(n_samples), labels), return_inverse=True
        )[1].ravel()
    labels, strata_dims, weights = order_strata(labels, dims, min_size)
    if crossing.any():
        labels = grow_into_crossings(
            labels, dims, crossing, neighbors, tangents, max_angle=max_angle
        )
        labels = assign_crossing_points(X, labels, dims, crossing)
        labelled = labels >= 0
        weights = np.bincount(labels[labelled], minlength=strata_dims.size) / max(labelled.sum(), 1)
    return labels, strata_dims, weights


def labelled_index(X_fit, labels, n_neighbors=10):
    """Neighbor index over the labelled training points, built once for every predict.

    Parameters
    ----------
    X_fit : ndarray of shape (n_fit, n_features)
        Training points.
    labels : ndarray of shape (n_fit,)
        Their strata (``-1`` for junction points, which are left out).
    n_neighbors : int, default=10
        Number of labelled neighbors each new point consults.

    Returns
    -------
    index : NearestNeighbors or None
        Fitted on the labelled points (None when there is none).
    labelled_labels : ndarray of shape (n_labelled,)
        The strata of the indexed points, in the index's order.
    """
    labels = np.asarray(labels)
    labelled = np.flatnonzero(labels >= 0)
    if labelled.size == 0:
        return None, labels[labelled]
    k = min(n_neighbors, labelled.size)
    index = NearestNeighbors(n_neighbors=k, algorithm=_TREE).fit(X_fit[labelled])
    return index, labels[labelled]


def assign_strata(index, labelled_labels, X, *, radius):
    """Stratum of new points from their nearest labelled training points.

    Parameters
    ----------
    index : NearestNeighbors or None
        The index of :func:`labelled_index`; None labels every point ``-1``.
    labelled_labels : ndarray of shape (n_labelled,)
        Strata of the indexed points.
    X : ndarray of shape (n_samples, n_features)
        New points.
    radius : float
        Only labelled neighbors within this distance vote.

    Returns
    -------
    pred : ndarray of shape (n_samples,)
        Majority stratum among the voters (ties: the larger stratum, i.e. the smaller
        label), ``-1`` where no labelled point lies within ``radius``.
    """
    pred = np.full(X.shape[0], -1, dtype=np.intp)
    if index is None or X.shape[0] == 0:
        return pred
    k = index.n_neighbors
    n_strata = labelled_labels.max() + 1
    # Batched: the neighbor arrays of all rows at once would take ~5 * 8 * k bytes per row
    # beyond the output (issue #7); every row's vote depends on that row only.
    for start in range(0, X.shape[0], _PREDICT_BATCH):
        batch = slice(start, min(start + _PREDICT_BATCH, X.shape[0]))
        dist, idx = index.kneighbors(X[batch])
        votes = labelled_labels[idx]
        n_rows = idx.shape[0]
        counts = np.zeros((n_rows, n_strata), dtype=np.intp)
        rows = np.repeat(np.arange(n_rows), k)
        valid = (dist <= radius).ravel()
        np.add.at(counts, (rows[valid], votes.ravel()[valid]), 1)
        has = counts.sum(axis=1) > 0
        pred[batch][has] = counts[has].argmax(axis=1)
    return pred

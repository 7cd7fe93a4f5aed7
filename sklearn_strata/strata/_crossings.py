"""Where strata of equal dimension cross: find the crossing, cut it out, rejoin the arms.

Tangent spaces read at one smoothing level blend where two strata of the same dimension
cross: within about a level of the crossing both are seen at once, and the tangents turn
smoothly from one stratum to the other. The tangent split of the graph then keeps a chain of
small turns across, and two circles crossing at 40-60 degrees in R^10 were counted as one
stratum. Local PCA on a handful of neighbors does not help with noise (noise 0.01 against a
spacing of 0.004: every edge turned). The crossing shows as a *shape*, at a scale above the
noise: in a ball of radius ``R`` a ``d``-dimensional stratum has ``d`` large principal
variances (``R^2 / (d + 2)`` each) and small ones (the noise and the curvature), while a
ball around a crossing at angle ``theta`` has a ``(d + 1)``-th variance of about
``tan^2(theta / 2)`` times the others. The procedure:

1. :func:`crossing_points`: for every component of the graph, the ratio of the
   ``(d + 1)``-th principal variance to the mean of the first ``d`` in balls of a few
   neighbor scales; at the smallest scale where the component's median ratio is small
   (the noise has become small beside the ball), the points whose ratio exceeds that
   median by ``tan^2(max_angle / 2)`` are crossing points. Components whose median stays
   large at every scale (heavy noise, strong curvature, sparse data) cannot tell a
   crossing from their own shape and keep every point;
2. the crossing points leave the graph, which cuts every stratum through a crossing into
   arms (:func:`match_through_crossings`): at each junction (a connected group of
   crossing points and of components too small to be strata, such as the band of mixed
   readings where a line crosses a circle) the arms of equal dimension are paired, best
   continuation first (tangent spaces fitted on each arm's own points nearest the
   junction agree, and the step between them runs along them), each arm at most once: a
   stratum enters a junction once and leaves it once. Arms that each went on through a
   junction on another arm are kept apart by the later merge across gaps;
3. :func:`assign_crossing_points`: every crossing point then joins the stratum, among
   those of its labelled neighbors, whose local plane passes closest to it.
"""

from itertools import combinations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.neighbors import NearestNeighbors

from ._frames import _component_modes, _continuation_angle, _end_frame, max_principal_angles

__all__ = [
    "assign_crossing_points",
    "crossing_points",
    "grow_into_crossings",
    "match_through_crossings",
]

# Points of a ball at most (a thinning of them).
_MAX_BALL = 128
# Ball radii tried, in units of the component's median n_neighbors-th neighbor distance.
_SCALES = (2.0, 3.0, 5.0, 8.0)
# The first scale whose median ratio falls below this is used (noise 0.01 on the crossing
# circles: 0.028 at 3 scale units; 0.010 at 8, where each crossing covers twice the points).
_TARGET_RATIO = 0.03
# A component whose median ratio stays above this at every scale is left whole: the
# lollipop's stick with noise 0.05 (0.30) and the self-intersecting surface (0.39) are
# noisier or more curved at every scale than a 30 degree crossing is wide (0.07).
_MAX_RATIO = 0.1
# Points of an arm fitted where it enters a crossing: its own points nearest to it. Ten
# points of a circle with noise 0.01 spanned 0.04 and turned by tens of degrees; 30 points
# of a segment with noise 0.01 in R^10 still missed one of three segments through a point.
_ARM_POINTS = 60
# Centers the scale is chosen on (of each component).
_SCALE_CENTERS = 2000
# Rows of the batched eigen-decompositions.
_BATCH = 512


def _ball_members(X, centers, radius, cap):
    """Indices of the points of ``X`` within ``radius`` of every center, at most ``cap``.

    Returns a padded index array of shape (n_centers, cap) and its mask. A ball holding
    more than ``cap`` points keeps ``cap`` of them evenly spaced in the order the tree
    lists them (a thinning, not the nearest: the nearest ``cap`` would shrink the balls of
    densely sampled parts, where the noise then looks larger beside the ball).
    """
    index = NearestNeighbors(radius=radius, algorithm="ball_tree").fit(X)
    balls = np.zeros((centers.shape[0], cap), dtype=np.intp)
    inside = np.zeros((centers.shape[0], cap), dtype=bool)
    for start in range(0, centers.shape[0], _BATCH):
        found = index.radius_neighbors(centers[start : start + _BATCH], return_distance=False)
        for row, members in enumerate(found, start):
            if members.size > cap:
                members = members[np.linspace(0, members.size - 1, cap).astype(np.intp)]
            balls[row, : members.size] = members
            inside[row, : members.size] = True
    return balls, inside


def _spread_ratios(X, balls, inside, d):
    """``lambda_{d+1} / mean(lambda_1..lambda_d)`` of the points of each ball.

    Rows whose ball holds fewer than ``2 * (d + 2)`` points get NaN.
    """
    n_features = X.shape[1]
    ratios = np.full(balls.shape[0], np.nan)
    for start in range(0, balls.shape[0], _BATCH):
        rows = slice(start, start + _BATCH)
        mask = inside[rows][..., None]
        count = mask.sum(axis=1)
        patch = X[balls[rows]]
        mean = np.where(mask, patch, 0.0).sum(axis=1, keepdims=True)
        mean /= np.maximum(count, 1)[:, None]
        centered = np.where(mask, patch - mean, 0.0)
        # C C^T and C^T C share their nonzero eigenvalues: decompose the smaller one
        if centered.shape[1] < n_features:
            gram = centered @ np.swapaxes(centered, 1, 2)
        else:
            gram = np.swapaxes(centered, 1, 2) @ centered
        spread = np.linalg.eigvalsh(gram)[:, ::-1]
        top = np.maximum(spread[:, :d].mean(axis=1), np.finfo(float).tiny)
        ratio = spread[:, d] / top
        ratio[count[:, 0] < 2 * (d + 2)] = np.nan
        ratios[rows] = ratio
    return ratios


def _groups(selected, neighbors):
    """Connected groups of the selected points in the k-nearest-neighbor graph (else -1)."""
    n_samples = selected.size
    rows = np.repeat(np.arange(n_samples), neighbors.shape[1])
    cols = neighbors.ravel()
    both = selected[rows] & selected[cols]
    graph = sparse.coo_matrix(
        (np.ones(both.sum(), dtype=np.int8), (rows[both], cols[both])),
        shape=(n_samples, n_samples),
    )
    _, groups = connected_components(graph, directed=False)
    return np.where(selected, groups, -1)


def crossing_points(X, labels, dims, kneighbors, *, max_angle, min_size=1):
    """Points where a component's neighborhood spans more than its dimension.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Points.
    labels : ndarray of shape (n_samples,)
        Components of the equal-dimension graph (``0..n_components - 1``).
    dims : ndarray of shape (n_samples,)
        Integer local dimensions.
    kneighbors : tuple of ndarray
        ``(distances, indices)`` of every point's ``n_neighbors`` nearest other points.
        Their last column sets the ball radii; groups of crossing points smaller than
        ``n_neighbors`` (connected through these neighbors) are dropped: noise, not a
        crossing.
    max_angle : float
        Crossings at an angle above this (degrees) are found.
    min_size : int, default=1
        Components with fewer points are left alone.

    Returns
    -------
    crossing : ndarray of shape (n_samples,), dtype bool
        The crossing points.
    """
    X = np.asarray(X, dtype=float)
    kth_distances, neighbors = kneighbors[0][:, -1], kneighbors[1]
    n_samples, n_features = X.shape
    crossing = np.zeros(n_samples, dtype=bool)
    margin = np.tan(np.radians(max_angle) / 2) ** 2
    modes = _component_modes(labels, dims)
    for component in np.unique(labels):
        members = np.flatnonzero(labels == component)
        d = int(modes[component])
        if not 0 < d < n_features or members.size < max(min_size, 2 * (d + 2)):
            continue
        kth = kth_distances[members]
        kth = kth[kth > 0]
        if kth.size == 0:
            continue
        points = X[members]
        # the scale is chosen on evenly spread centers, then every point is read at it
        step = max(members.size // _SCALE_CENTERS, 1)
        best = None
        for factor in _SCALES:
            radius = factor * np.median(kth)
            ratios = _spread_ratios(
                points, *_ball_members(points, points[::step], radius, _MAX_BALL), d
            )
            if np.isfinite(ratios).mean() < 0.5:
                continue
            median = float(np.nanmedian(ratios))
            if best is None or median < best[0]:
                best = (median, radius, ratios)
            if median <= _TARGET_RATIO:
                break
        if best is not None and best[0] <= _MAX_RATIO:
            median, radius, ratios = best
            if step > 1:
                ratios = _spread_ratios(
                    points, *_ball_members(points, points, radius, _MAX_BALL), d
                )
                median = float(np.nanmedian(ratios))
            crossing[members] = ratios > median + margin
    if crossing.any():
        groups = _groups(crossing, neighbors)
        sizes = np.bincount(groups[crossing])
        crossing[crossing] = sizes[groups[crossing]] >= neighbors.shape[1]
    return crossing


def match_through_crossings(X, labels, dims, crossing, neighbors, *, max_angle, radius, min_size=1):
    """Rejoin the arms of every stratum that passes through a junction.

    A junction is a connected group of crossing points and of points in components
    smaller than ``min_size`` (junction debris, whatever their dimension), through the
    k-nearest-neighbor graph; its arms are the larger components with a neighbor in it.
    Arms of equal dimension are paired best first by
    :func:`~sklearn_strata.strata._frames._continuation_angle` of their frames where they
    enter the junction (:func:`~sklearn_strata.strata._frames._end_frame` on their ``30``
    points nearest to it, the step between the two centroids as the gap), each arm once
    per junction, pairs up to ``max_angle``. A larger component of higher dimension that
    arms of one dimension meet at (three lines crossing at one point read 2 around it) is
    the junction itself when the arms paired through it pass within ``radius`` of 95% of
    its points; its points are then junction points.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Points.
    labels : ndarray of shape (n_samples,)
        Components of the graph without the crossing points.
    dims : ndarray of shape (n_samples,)
        Integer local dimensions.
    crossing : ndarray of shape (n_samples,), dtype bool
        The crossing points (:func:`crossing_points`).
    neighbors : ndarray of shape (n_samples, k)
        Neighbor indices of every point (the point itself excluded).
    max_angle : float
        Largest continuation angle of a pair, in degrees.
    radius : float
        How near the paired arms must pass to the points of a higher-dimensional
        component for it to be a junction.
    min_size : int, default=1
        Smaller components are part of the crossing, not arms.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Components with the paired arms merged (``0..n_merged - 1``).
    apart : ndarray of shape (n_apart, 2)
        One point of each of two arms that went on through a junction on other arms; the
        merge across gaps (:func:`~sklearn_strata.strata._graph.merge_aligned_components`)
        leaves their strata apart.
    swallowed : ndarray of shape (n_samples,), dtype bool
        The points of higher-dimensional components found to be junctions.
    """
    n_features = X.shape[1]
    sizes = np.bincount(labels)
    modes = _component_modes(labels, dims)
    debris = crossing | (sizes[labels] < min_size)
    junction = _groups(debris, neighbors)
    rows = np.repeat(np.arange(labels.size), neighbors.shape[1])
    cols = neighbors.ravel()
    touch = debris[rows] != debris[cols]
    arm_end = np.where(debris[rows[touch]], cols[touch], rows[touch])
    inside = np.where(debris[rows[touch]], rows[touch], cols[touch])
    touching = np.unique(np.c_[junction[inside], labels[arm_end]], axis=0)
    first = np.full(sizes.size, -1, dtype=np.intp)
    first[labels[::-1]] = np.arange(labels.size)[::-1]
    order = np.argsort(labels, kind="stable")
    members = np.split(order, np.cumsum(sizes)[:-1])
    pairs, apart = [], []

    def pair_through(arms, junction_points):
        """Pair the arms of equal dimension that meet at one junction; their frames."""
        frames = {
            c: _end_frame(X[members[c]], junction_points, _ARM_POINTS, modes[c]) for c in arms
        }
        scored = sorted(
            (
                _continuation_angle(frames[a], frames[b], frames[b][1] - frames[a][1], max_angle),
                a,
                b,
            )
            for i, a in enumerate(arms)
            for b in arms[i + 1 :]
            if modes[a] == modes[b]
        )
        partner = {}
        for angle, a, b in scored:
            if angle <= max_angle and a not in partner and b not in partner:
                partner[a], partner[b] = b, a
        return partner, frames

    def keep(partner):
        pairs.extend((a, b) for a, b in partner.items() if a < b)
        # arms that each went on through the junction on another arm stay apart
        apart.extend(
            (first[a], first[b]) for a, b in combinations(sorted(partner), 2) if partner[a] != b
        )

    for group in np.unique(touching[:, 0]):
        arms = [c for c in touching[touching[:, 0] == group, 1] if 0 < modes[c] < n_features]
        if len(arms) > len(set(modes[arms])):  # two arms of one dimension meet here
            keep(pair_through(arms, X[junction == group])[0])

    # A component of higher dimension where arms meet may be the junction itself (three
    # lines crossing at one point read 2 around it): it is when the arms paired through it
    # pass within ``radius`` of its points.
    swallowed = np.zeros(labels.size, dtype=bool)
    big = ~debris[rows] & ~debris[cols] & (labels[rows] != labels[cols])
    meeting = np.unique(np.c_[labels[rows[big]], labels[cols[big]]], axis=0)
    # Only curves: the arms of surfaces meet along curves, where frames fitted on the
    # points nearest the whole junction describe the junction, not the arm (two crossing
    # spheres: both frames were the plane of their circle of contact).
    meeting = meeting[(modes[meeting[:, 1]] == 1) & (modes[meeting[:, 0]] > 1)]
    for host in np.unique(meeting[:, 0]):
        # the host and the junction debris around it
        region = _groups(debris | (labels == host), neighbors)
        region = np.isin(region, np.unique(region[members[host]]))
        edge = region[rows] & ~region[cols]
        arms = np.unique(labels[cols[edge & ~debris[cols]]])
        arms = arms[(modes[arms] > 0) & (modes[arms] < modes[host])]
        for d in np.unique(modes[arms]):
            same = [c for c in arms if modes[c] == d]
            if len(same) < 2:
                continue
            partner, frames = pair_through(same, X[region])
            paired = {c: (X[members[c]], frames[c]) for c in partner}
            if partner and _passes_through(X[members[host]], paired, X[region], radius):
                keep(partner)
                swallowed[members[host]] = True
                break
    apart = np.asarray(apart, dtype=np.intp).reshape(-1, 2)
    if not pairs:
        return labels, apart, swallowed
    pairs = np.asarray(pairs)
    n_comp = sizes.size
    graph = sparse.coo_matrix(
        (np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n_comp, n_comp)
    )
    _, merged = connected_components(graph, directed=False)
    return merged[labels].astype(np.intp), apart, swallowed


def _plane_distances(points, frame):
    """Distance of every point to the affine plane of a frame (tangent, centroid, rate)."""
    tangent, centroid, _ = frame
    offset = points - centroid
    return np.linalg.norm(offset - (offset @ tangent) @ tangent.T, axis=1)


def _passes_through(points, arms, junction_points, radius):
    """Whether arms paired through a component pass through (95% of) its points.

    ``arms`` maps each paired arm to its points and its frame where it enters the
    junction. 95% of the component's points must lie within ``radius`` of one of the arms'
    planes, and no farther than 95% of the arms' own points near the junction do (their
    noise): three noisy segments crossing at a point, 0.044 against 0.057; on the digits,
    where the neighbor scale is as large as the data and planes fitted on a few dozen
    points pass near anything, 1.2-1.9 times farther.
    """
    nearest = np.full(points.shape[0], np.inf)
    spread = 0.0
    for arm_points, frame in arms.values():
        nearest = np.minimum(nearest, _plane_distances(points, frame))
        gap = NearestNeighbors(n_neighbors=1).fit(junction_points).kneighbors(arm_points)[0]
        near = arm_points[np.argsort(gap[:, 0], kind="stable")[: 2 * _ARM_POINTS]]
        spread = max(spread, np.percentile(_plane_distances(near, frame), 95))
    return np.percentile(nearest, 95) <= min(radius, spread)


def grow_into_crossings(labels, dims, crossing, neighbors, tangents, *, max_angle):
    """Let every stratum grow into the crossings along its own tangent spaces.

    Round after round, an unlabelled crossing point takes the stratum most of its labelled
    neighbors of the same dimension belong to, counting only those whose tangent space
    turns from its own by at most ``max_angle``: each stratum enters a crossing as far as
    its tangents carry it (a cap of a sphere above a plane that cuts it is reached from
    the sphere, not across the 45 degree turn from the plane).

    Parameters
    ----------
    labels : ndarray of shape (n_samples,)
        Strata (``-1`` unlabelled).
    dims : ndarray of shape (n_samples,)
        Integer local dimensions.
    crossing : ndarray of shape (n_samples,), dtype bool
        Points that may be labelled; only those labelled ``-1`` change.
    neighbors : ndarray of shape (n_samples, k)
        Neighbor indices of every point (the point itself excluded).
    tangents : ndarray of shape (n_samples, n_features, m)
        Orthonormal tangent bases, most tangent column first.
    max_angle : float
        Largest principal angle (degrees) along which a label passes.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Strata, with the crossing points reached labelled.
    """
    labels = np.asarray(labels).copy()
    n_features = tangents.shape[1]
    todo = np.flatnonzero(crossing & (labels < 0) & (dims > 0) & (dims < n_features))
    if todo.size == 0:
        return labels
    rows = np.repeat(todo, neighbors.shape[1])
    cols = neighbors[todo].ravel()
    same = dims[rows] == dims[cols]
    rows, cols = rows[same], cols[same]
    along = np.zeros(rows.size, dtype=bool)
    for d in np.unique(dims[rows]):
        edges = np.flatnonzero(dims[rows] == d)
        angles = max_principal_angles(tangents[rows[edges], :, :d], tangents[cols[edges], :, :d])
        along[edges] = angles <= max_angle
    rows, cols = rows[along], cols[along]
    n_strata = labels.max() + 1
    for _ in range(labels.size):
        voting = labels[cols] >= 0
        open_rows = labels[rows] < 0
        use = voting & open_rows
        if not use.any():
            break
        votes = np.zeros((labels.size, n_strata), dtype=np.intp)
        np.add.at(votes, (rows[use], labels[cols[use]]), 1)
        reached = np.unique(rows[use])
        labels[reached] = votes[reached].argmax(axis=1)
    return labels


def assign_crossing_points(X, labels, dims, crossing, *, n_neighbors=20):
    """Give every unlabelled crossing point the stratum whose local plane passes nearest.

    Among the ``n_neighbors`` nearest labelled points of the same dimension, the points of
    each stratum present (at least ``d + 2`` of them) are fitted a ``d``-dimensional plane
    (PCA); the crossing point joins the stratum of the nearest plane.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Points.
    labels : ndarray of shape (n_samples,)
        Strata (``-1`` unlabelled).
    dims : ndarray of shape (n_samples,)
        Integer local dimensions.
    crossing : ndarray of shape (n_samples,), dtype bool
        Points to assign; only those labelled ``-1`` change.
    n_neighbors : int, default=20
        Labelled neighbors consulted.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Strata, with the crossing points assigned where a plane could be fitted.
    """
    labels = np.asarray(labels).copy()
    todo_all = crossing & (labels < 0)
    for d in np.unique(dims[todo_all]):
        pool = np.flatnonzero((labels >= 0) & (dims == d))
        todo = np.flatnonzero(todo_all & (dims == d))
        if pool.size < d + 2:
            continue
        k = min(n_neighbors, pool.size)
        _, near = NearestNeighbors(n_neighbors=k).fit(X[pool]).kneighbors(X[todo])
        near_labels = labels[pool[near]]
        best = np.full(todo.size, np.inf)
        for stratum in np.unique(near_labels):
            mine = near_labels == stratum
            count = mine.sum(axis=1)
            rows = np.flatnonzero(count >= d + 2)
            if rows.size == 0:
                continue
            residual = _plane_residuals(X, todo[rows], pool[near[rows]], mine[rows], d)
            better = residual < best[rows]
            best[rows[better]] = residual[better]
            labels[todo[rows[better]]] = stratum
    return labels


def _plane_residuals(X, points, neighbors, mask, d):
    """Distance of each point to the ``d``-plane fitted to its masked neighbors."""
    out = np.empty(points.size)
    for start in range(0, points.size, _BATCH):
        rows = slice(start, start + _BATCH)
        inside = mask[rows][..., None]
        patch = X[neighbors[rows]]
        mean = np.where(inside, patch, 0.0).sum(axis=1) / inside.sum(axis=1)
        centered = np.where(inside, patch - mean[:, None], 0.0)
        _, _, vt = np.linalg.svd(centered, full_matrices=False)
        offset = X[points[rows]] - mean
        along = np.einsum("nkf,nf->nk", vt[:, :d], offset)
        out[rows] = np.linalg.norm(offset - np.einsum("nk,nkf->nf", along, vt[:, :d]), axis=1)
    return out

"""Tangent frames of strata: principal angles, local PCA directions, continuation.

Shared by the graph procedure (:mod:`._graph`) and the crossing step (:mod:`._crossings`).
"""

import numpy as np
from sklearn.neighbors import NearestNeighbors

__all__ = ["max_principal_angles"]


def max_principal_angles(U, V):
    """Largest principal angle between pairs of subspaces of equal dimension.

    Parameters
    ----------
    U : ndarray of shape (n_pairs, n_features, d)
        Orthonormal bases of the first subspaces.
    V : ndarray of shape (n_pairs, n_features, d)
        Orthonormal bases of the second subspaces.

    Returns
    -------
    angles : ndarray of shape (n_pairs,)
        Largest principal angle in degrees, ``arccos`` of the smallest singular value of
        ``U_i^T V_i`` (``0`` when ``d`` is ``0``).
    """
    U = np.asarray(U, dtype=float)
    V = np.asarray(V, dtype=float)
    if U.shape[2] == 0 or U.shape[0] == 0:
        return np.zeros(U.shape[0])
    cosines = np.linalg.svd(np.swapaxes(U, 1, 2) @ V, compute_uv=False)[:, -1]
    return np.degrees(np.arccos(np.clip(cosines, 0.0, 1.0)))


def _component_modes(labels, dims):
    """Mode of ``dims`` within every component (ties: the smaller dimension)."""
    n_comp = labels.max() + 1 if labels.size else 0
    table = np.zeros((n_comp, dims.max() + 1 if dims.size else 1), dtype=np.intp)
    np.add.at(table, (labels, dims), 1)
    return table.argmax(axis=1)


def _top_directions(points, d):
    """Top-``d`` PCA directions of ``points`` (as columns)."""
    centered = points - points.mean(axis=0)
    _, _, vt = np.linalg.svd(centered, full_matrices=True)
    return vt[:d].T


def _end_frame(points, center, n_neighbors, d):
    """Tangent space of a component near ``center``, and how fast it turns there.

    Returns the top-``d`` PCA directions of the ``n_neighbors`` points nearest ``center``
    (a point, or a set of points: nearest to any of them), the centroid of those points,
    and the turning rate of the tangent space in degrees per unit length: the largest
    principal angle to the tangent space of the next ``n_neighbors`` points, over the
    distance between the two centroids (``0`` when the component has too few points to
    tell).
    """
    k = min(n_neighbors, points.shape[0])
    center = np.atleast_2d(center)
    if center.shape[0] == 1:
        gap = np.linalg.norm(points - center, axis=1)
    else:
        gap = NearestNeighbors(n_neighbors=1).fit(center).kneighbors(points)[0][:, 0]
    order = np.argsort(gap, kind="stable")
    near, far = points[order[:k]], points[order[k : 2 * k]]
    tangent = _top_directions(near, d)
    centroid = near.mean(axis=0)
    if far.shape[0] <= d:
        return tangent, centroid, 0.0
    step = np.linalg.norm(far.mean(axis=0) - centroid)
    if step <= 0:
        return tangent, centroid, 0.0
    turn = max_principal_angles(tangent[None], _top_directions(far, d)[None])[0]
    return tangent, centroid, turn / step


def _continuation_angle(frame_p, frame_q, gap, max_angle):
    """How far one piece of a stratum is from continuing another, in degrees.

    ``frame_p`` and ``frame_q`` are :func:`_end_frame` results on the two pieces and
    ``gap`` the step from the first to the second. The larger of the angle between the
    tangent spaces and the angle of the gap out of them, less the turn a curved stratum
    makes between the two frames (see :func:`merge_aligned_components`).
    """
    (Tp, cp, rate_p), (Tq, cq, rate_q) = frame_p, frame_q
    # A curved stratum turns across the gap as it turns along each piece: that much turn
    # is forgiven, at the rate of the straighter piece.
    turn = min(rate_p, rate_q) * np.linalg.norm(cq - cp)
    angle = max_principal_angles(Tp[None], Tq[None])[0]
    angle = max(angle - min(turn, 2 * max_angle), 0.0)
    # the chord of an arc leaves each end at half the turn
    chord_slack = min(turn, max_angle) / 2
    norm = np.linalg.norm(gap)
    if norm > 1e-12 * (1 + np.abs(cp).max()):
        # angle between the gap and the (averaged) tangent space
        in_plane = max(np.linalg.norm(Tp.T @ gap), np.linalg.norm(Tq.T @ gap)) / norm
        off_plane = np.degrees(np.arccos(min(in_plane, 1.0)))
        angle = max(angle, off_plane - chord_slack)
    return angle

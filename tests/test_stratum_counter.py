"""Tests of StratumCounter and of the graph procedure behind it."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, clone
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_strata.strata import StratumCounter
from sklearn_strata.strata._graph import (
    component_labels,
    equal_dimension_graph,
    find_strata,
    local_pca_tangents,
    max_principal_angles,
    min_size_to_count,
    order_strata,
    round_dimensions,
)

# ---------------------------------------------------------------------------------------------
# Private ground-truth data: points, true labels, true dims, true tangent bases (n, 3, 3).
# ---------------------------------------------------------------------------------------------

_E = np.eye(3)


def _complete(T):
    """Orthonormal (n, 3, 3) bases whose first columns span the given tangent columns."""
    out = np.empty((T.shape[0], 3, 3))
    for i, t in enumerate(T):
        q, _ = np.linalg.qr(np.c_[t, _E])
        out[i] = q[:, :3]
    return out


def _pack(parts):
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([np.full(len(p[0]), i) for i, p in enumerate(parts)])
    dims = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])
    T = np.concatenate(
        [_complete(p[1]) if p[1] is not None else np.repeat(_E[None], len(p[0]), 0) for p in parts]
    )
    return X, y, dims, T


def _disk(rng, n, center, e1, e2):
    r, a = np.sqrt(rng.uniform(size=n)), rng.uniform(0, 2 * np.pi, n)
    X = center + (r * np.cos(a))[:, None] * e1 + (r * np.sin(a))[:, None] * e2
    return X, np.repeat(np.stack([e1, e2], 1)[None], n, 0)


def _segment(rng, n, p, q):
    X = p + rng.uniform(size=n)[:, None] * (q - p)
    u = (q - p) / np.linalg.norm(q - p)
    return X, np.repeat(u[None, :, None], n, 0)


def _circle(rng, n, center, R):
    w = rng.uniform(0, 2 * np.pi, n)
    return center + R * np.c_[np.cos(w), np.sin(w), 0 * w], np.c_[-np.sin(w), np.cos(w), 0 * w][
        :, :, None
    ]


def _lollipop(rng, n=1000):
    n0, n1 = n // 10, 3 * n // 10
    disk = _disk(rng, n - n0 - n1, np.zeros(3), _E[0], _E[1])
    stick = _segment(rng, n1, _E[0], 3 * _E[0])
    point = np.repeat(4.0 * _E[:1], n0, 0)
    return _pack([(*disk, 2), (*stick, 1), (point, None, 0)])


def _sphere_line(rng, n=1000):
    n1 = 3 * n // 10
    Z = rng.normal(size=(n - n1, 3))
    S = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    TS = np.stack([np.linalg.qr(np.c_[x, _E])[0][:, 1:3] for x in S])
    line = _segment(rng, n1, -2 * _E[2], 2 * _E[2])
    return _pack([(S, TS, 2), (*line, 1)])


def _string_in_doughnut(rng, n=1000, R=2.0, r=0.6):
    n1 = n // 4
    u, v = rng.uniform(0, 2 * np.pi, (2, n - n1))
    X = np.c_[(R + r * np.cos(v)) * np.cos(u), (R + r * np.cos(v)) * np.sin(u), r * np.sin(v)]
    tu = np.c_[-np.sin(u), np.cos(u), 0 * u]
    tv = np.c_[-np.sin(v) * np.cos(u), -np.sin(v) * np.sin(u), np.cos(v)]
    return _pack([(X, np.stack([tu, tv], 2), 2), (*_circle(rng, n1, np.zeros(3), R), 1)])


def _line_disk_ball(rng, n=1500):
    n3, n2 = n // 2, 3 * n // 10
    Z = rng.normal(size=(n3, 3))
    B = Z / np.linalg.norm(Z, axis=1, keepdims=True) * rng.uniform(size=(n3, 1)) ** (1 / 3)
    disk = _disk(rng, n2, 2 * _E[0], _E[0], _E[1])
    line = _segment(rng, n - n3 - n2, 3 * _E[0], 5 * _E[0])
    return _pack([(B, None, 3), (*disk, 2), (*line, 1)])


def _disjoint_circles(rng, n=1000):
    return _pack(
        [
            (*_circle(rng, n // 2, np.zeros(3), 1.0), 1),
            (*_circle(rng, n - n // 2, 3 * _E[0], 1.0), 1),
        ]
    )


def _crossing_planes(rng, n=1000):
    m = n // 2
    A, B = rng.uniform(-1, 1, (m, 2)), rng.uniform(-1, 1, (n - m, 2))
    TA = np.repeat(np.stack([_E[0], _E[1]], 1)[None], m, 0)
    TB = np.repeat(np.stack([_E[0], _E[2]], 1)[None], n - m, 0)
    return _pack([(A @ TA[0].T, TA, 2), (B @ TB[0].T, TB, 2)])


_CASES = {
    "lollipop": (_lollipop, [2, 1, 0]),
    "sphere_line": (_sphere_line, [2, 1]),
    "string_in_doughnut": (_string_in_doughnut, [2, 1]),
    "line_disk_ball": (_line_disk_ball, [3, 2, 1]),
    "disjoint_circles": (_disjoint_circles, [1, 1]),
    "crossing_planes": (_crossing_planes, [2, 2]),
}


def _flip(dims, fraction, rng, n_features=3):
    dims = dims.copy()
    idx = rng.choice(len(dims), int(round(fraction * len(dims))), replace=False)
    for i in idx:
        dims[i] = rng.choice([d for d in range(n_features + 1) if d != dims[i]])
    return dims


def _ari(y, labels):
    kept = labels >= 0
    return adjusted_rand_score(y[kept], labels[kept])


# ---------------------------------------------------------------------------------------------
# Test-only dimension estimators.
# ---------------------------------------------------------------------------------------------


class _LocalPCADimensions(BaseEstimator):
    """Local dimension = number of local-PCA variances above ``threshold`` x the largest."""

    def __init__(self, n_neighbors=15, threshold=0.1):
        self.n_neighbors = n_neighbors
        self.threshold = threshold

    def _dims(self, X):
        from sklearn.neighbors import NearestNeighbors

        k = min(self.n_neighbors, self._X.shape[0])
        idx = NearestNeighbors(n_neighbors=k).fit(self._X).kneighbors(X, return_distance=False)
        patch = self._X[idx] - self._X[idx].mean(axis=1, keepdims=True)
        s = np.linalg.svd(patch, compute_uv=False) ** 2
        top = np.maximum(s[:, :1], 1e-300)
        return np.where(s[:, 0] > 0, (s > self.threshold * top).sum(axis=1), 0).astype(float)

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=np.float64)
        self._X = X
        self.dimension_pw_ = self._dims(X)
        self.dimension_ = float(np.median(self.dimension_pw_))
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self._dims(X)[:, None]

    def tangent_spaces(self, X):
        check_is_fitted(self)
        return local_pca_tangents(np.asarray(X, dtype=float), self.n_neighbors)


class _Known(BaseEstimator):
    """Dimensions (and tangents) known in advance, for the rows of one training set."""

    def __init__(self, dims=None, tangents=None):
        self.dims = dims
        self.tangents = tangents

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=np.float64)
        self._X = X
        self.dimension_pw_ = np.asarray(self.dims, dtype=float)
        return self

    def transform(self, X):
        check_is_fitted(self)
        from sklearn.neighbors import NearestNeighbors

        idx = NearestNeighbors(n_neighbors=1).fit(self._X).kneighbors(X, return_distance=False)
        return self.dimension_pw_[idx[:, 0], None]


# ---------------------------------------------------------------------------------------------
# The graph procedure on true / noisy dimensions.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("tangent_source", ["true", "local_pca"])
@pytest.mark.parametrize("flip", [0.0, 0.03])
@pytest.mark.parametrize("case", list(_CASES))
def test_graph_recovers_strata_from_true_dimensions(case, flip, tangent_source, seed):
    make, expected = _CASES[case]
    rng = np.random.default_rng(seed)
    X, y, dims, T = make(rng)
    if flip:
        dims = _flip(dims, flip, rng)
    tangents = T if tangent_source == "true" else local_pca_tangents(X, 10)
    labels, strata_dims, weights = find_strata(
        X, dims, n_neighbors=10, tangents=tangents, max_tangent_angle=30.0
    )
    assert sorted(strata_dims.tolist(), reverse=True) == expected
    assert _ari(y, labels) >= 0.9
    assert np.mean(labels < 0) <= flip + 0.06
    np.testing.assert_allclose(weights.sum(), 1.0)


def test_crossing_planes_need_the_tangent_split():
    X, y, dims, T = _crossing_planes(np.random.default_rng(0))
    _, strata_dims, _ = find_strata(X, dims, n_neighbors=10)
    assert strata_dims.tolist() == [2]
    labels, strata_dims, _ = find_strata(X, dims, tangents=T, max_tangent_angle=30.0)
    assert strata_dims.tolist() == [2, 2]
    assert _ari(y, labels) == 1.0


def test_junction_merge_rejoins_a_pierced_line():
    """A blob of wrong (3-dim) estimates where the line pierces the sphere cuts the line in
    three pieces; the merge rejoins them and keeps them apart from the sphere."""
    X, y, dims, _ = _sphere_line(np.random.default_rng(0))
    pole = np.minimum(np.linalg.norm(X - _E[2], axis=1), np.linalg.norm(X + _E[2], axis=1))
    noisy = np.where(pole < 0.1, 3, dims)
    kept = noisy != 3
    _, strata_dims, _ = find_strata(X, noisy, n_neighbors=10, merge_radius=0)
    assert strata_dims.tolist() == [2, 1, 1, 1]
    labels, strata_dims, _ = find_strata(X, noisy, n_neighbors=10)
    assert strata_dims.tolist() == [2, 1]
    assert adjusted_rand_score(y[kept], labels[kept]) == 1.0


def test_merge_keeps_parallel_lines_apart():
    t = np.linspace(0, 1, 200)
    X = np.r_[np.c_[t, 0 * t, 0 * t], np.c_[t + 0.0025, 0 * t + 0.05, 0 * t]]
    # the gap (0.05) is well within the merge radius (20 x 0.015) but normal to the lines
    _, strata_dims, _ = find_strata(X, np.ones(400), n_neighbors=5, merge_radius=20.0)
    assert strata_dims.tolist() == [1, 1]
    # collinear pieces with the same gap are merged
    X = np.r_[np.c_[t, 0 * t, 0 * t], np.c_[t + 1.05, 0 * t, 0 * t]]
    _, strata_dims, _ = find_strata(X, np.ones(400), n_neighbors=5, merge_radius=20.0)
    assert strata_dims.tolist() == [1]


def test_merge_rejoins_a_curved_stratum_cut_at_its_crossings():
    """A helix winding ten times around a twisted band crosses it 17 times and is cut at
    some crossings; across a gap its tangent turns by up to 50 degrees, as it turns along
    each piece, and the curvature-aware merge rejoins the pieces (before it, a fourth
    stratum of helix points stayed apart)."""
    from sklearn_strata.datasets import make_twisted_strata

    X, y, space = make_twisted_strata(3000, random_state=0, return_space=True)
    dims = space.strata_dims[y]
    labels, strata_dims, _ = find_strata(
        X, dims, n_neighbors=10, tangents=local_pca_tangents(X, 10), max_tangent_angle=30.0
    )
    assert strata_dims.tolist() == [2, 1, 3]
    kept = labels >= 0
    assert adjusted_rand_score(y[kept], labels[kept]) >= 0.99


def test_merge_keeps_crossing_circles_apart():
    """Curved strata that cross are not forgiven their turn: two unit circles crossing
    at 60 degrees stay two strata, even with their crossings cut out."""
    t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    tilt = np.radians(60)
    first = np.c_[np.cos(t), np.sin(t), 0 * t]
    second = np.c_[np.cos(t), np.cos(tilt) * np.sin(t), np.sin(tilt) * np.sin(t)]
    X = np.r_[first, second]
    y = np.repeat([0, 1], 400)
    far = np.minimum(np.abs(X[:, 0] - 1), np.abs(X[:, 0] + 1)) > 0.02
    labels, strata_dims, _ = find_strata(
        X[far], np.ones(far.sum()), n_neighbors=5, tangents=local_pca_tangents(X[far], 5),
        max_tangent_angle=30.0, merge_radius=20.0,
    )
    assert strata_dims.tolist() == [1, 1]
    assert adjusted_rand_score(y[far], labels) == 1.0


def _noisy_crossing_circles(tilt_degrees, n=1500, noise=0.01, seed=0):
    rng = np.random.default_rng(seed)
    t, s = rng.uniform(0, 2 * np.pi, (2, n))
    tilt = np.radians(tilt_degrees)
    first = np.c_[np.cos(t), np.sin(t), 0 * t]
    second = np.c_[np.cos(s), np.cos(tilt) * np.sin(s), np.sin(tilt) * np.sin(s)]
    X = np.c_[np.r_[first, second], np.zeros((2 * n, 3))]
    return X + noise * rng.normal(size=X.shape), np.repeat([0, 1], n)


@pytest.mark.parametrize("tilt", [45, 60, 90])
def test_noisy_circles_crossing_are_two_strata(tilt):
    """Tangents fitted at a scale that sees both circles near their crossings turn smoothly
    from one circle to the other (the score model's tangents do too), and the tangent
    split alone kept one stratum. The crossing step cuts the crossings out (where a ball a
    few neighbor distances wide spans two directions) and rejoins each circle's arms."""
    X, y = _noisy_crossing_circles(tilt)
    tangents = local_pca_tangents(X, 30)
    labels, strata_dims, weights = find_strata(
        X, np.ones(len(X)), n_neighbors=10, tangents=tangents, max_tangent_angle=30.0
    )
    assert strata_dims.tolist() == [1, 1]
    kept = labels >= 0
    assert kept.mean() >= 0.99
    assert adjusted_rand_score(y[kept], labels[kept]) >= 0.9
    np.testing.assert_allclose(weights, [0.5, 0.5], atol=0.05)
    # the same graph without the crossing step (no tangent split) is one stratum
    _, strata_dims, _ = find_strata(X, np.ones(len(X)), n_neighbors=10)
    assert strata_dims.tolist() == [1]


def test_strata_grow_into_a_crossing_along_their_tangents():
    """Points cut out at a crossing are labelled by the stratum whose tangents reach them:
    an X of two segments at 60 degrees, the points near its center unlabelled."""
    from sklearn_strata.strata._crossings import grow_into_crossings

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (2, 500))
    directions = np.array([[1.0, 0.0], [np.cos(np.pi / 3), np.sin(np.pi / 3)]])
    X = np.concatenate([x[k][:, None] * directions[k] for k in range(2)])
    y = np.repeat([0, 1], 500)
    tangents = np.repeat(
        np.stack([np.c_[u, [-u[1], u[0]]] for u in directions]), 500, axis=0
    )
    center = np.linalg.norm(X, axis=1) < 0.2
    labels = np.where(center, -1, y)
    _, neighbors = NearestNeighbors(n_neighbors=10).fit(X).kneighbors()
    grown = grow_into_crossings(
        labels, np.ones(1000, dtype=int), center, neighbors, tangents, max_angle=30.0
    )
    assert np.all(grown[~center] == y[~center])
    assert np.mean(grown[center] == y[center]) >= 0.95


def test_strata_through_a_junction_go_on_on_their_own_arms():
    """A line through a circle's center crosses it twice; the points near the crossings
    read 2 (both strata at once) and cut the circle into two arcs and the line into three
    pieces. At each junction the arms are paired best continuation first, each once, and
    pieces that went on through it on other arms are not merged afterwards: two strata
    (five pieces, or the line merged with the circle, before)."""
    rng = np.random.default_rng(0)
    t = rng.uniform(0, 2 * np.pi, 2000)
    x = rng.uniform(-2, 2, 1000)
    X = np.r_[np.c_[np.cos(t), np.sin(t)], np.c_[x, 0 * x]]
    X = np.c_[X, np.zeros((3000, 3))] + 0.005 * rng.normal(size=(3000, 5))
    y = np.repeat([0, 1], [2000, 1000])
    to_crossing = np.minimum(
        np.linalg.norm(X[:, :2] - [1, 0], axis=1), np.linalg.norm(X[:, :2] - [-1, 0], axis=1)
    )
    dims = np.where(to_crossing < 0.04, 2, 1)
    labels, strata_dims, _ = find_strata(
        X, dims, n_neighbors=10, tangents=local_pca_tangents(X, 20), max_tangent_angle=30.0
    )
    assert strata_dims.tolist() == [1, 1]
    kept = labels >= 0
    assert adjusted_rand_score(y[kept], labels[kept]) == 1.0


def test_a_band_of_junction_readings_is_not_a_stratum():
    """Two squares crossing along a line: near the crossing about half the points see both
    and read 3. That band separates the squares and most of its points have most of their
    neighbors in them: junction points, not a third stratum; a ball touching a disk stays
    one."""
    from sklearn_strata.strata._graph import junction_bands

    rng = np.random.default_rng(0)
    u, v = rng.uniform(-1, 1, (2, 1500, 2))
    X = np.r_[np.c_[u, np.zeros(1500)], np.c_[v[:, 0], np.zeros(1500), v[:, 1]]]
    X = np.c_[X, np.zeros((3000, 2))]
    y = np.repeat([0, 1], 1500)
    band = (np.linalg.norm(X[:, 1:3], axis=1) < 0.1) & (rng.uniform(size=3000) < 0.6)
    dims = np.where(band, 3, 2)
    tangents = local_pca_tangents(X, 20)
    components = component_labels(
        equal_dimension_graph(X, dims, 10, tangents=tangents, max_angle=30.0)
    )
    assert 3 in order_strata(components, dims, 60)[1].tolist()
    _, neighbors = NearestNeighbors(n_neighbors=10).fit(X).kneighbors()
    junction = junction_bands(components, dims, neighbors, min_size=60)
    assert junction.sum() >= 60 and np.all(band[junction])
    labels, strata_dims, _ = find_strata(
        X, dims, n_neighbors=10, tangents=tangents, max_tangent_angle=30.0
    )
    assert strata_dims.tolist() == [2, 2]
    kept = labels >= 0
    assert np.all(labels[junction] == -1)
    assert adjusted_rand_score(y[kept], labels[kept]) >= 0.97
    # a ball touching a disk: its points have their neighbors in it
    ball = rng.normal(size=(1000, 3))
    ball *= 0.5 * rng.uniform(size=(1000, 1)) ** (1 / 3) / np.linalg.norm(ball, axis=1)[:, None]
    disk = np.c_[rng.uniform(-1, 1, (2000, 2)), np.full(2000, -0.5)]
    X = np.r_[ball, disk]
    dims = np.repeat([3, 2], [1000, 2000])
    _, strata_dims, _ = find_strata(X, dims, n_neighbors=10)
    assert sorted(strata_dims.tolist()) == [2, 3]


def test_three_lines_through_one_point_are_three_strata():
    """Three segments crossing at one point at 60 degrees: around the point the readings
    are 2 (the star spans a plane there), a blob larger than a junction's debris that cut
    the segments into six pieces (seven strata before). The arms paired through the blob
    pass through all its points: it is the junction, and the segments are three strata."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (3, 1000))
    angles = np.radians([0, 60, 120])
    X = np.concatenate([np.c_[x[k] * np.cos(a), x[k] * np.sin(a)] for k, a in enumerate(angles)])
    X = np.c_[X, np.zeros((3000, 3))] + 0.005 * rng.normal(size=(3000, 5))
    y = np.repeat([0, 1, 2], 1000)
    dims = np.where(np.linalg.norm(X[:, :2], axis=1) < 0.07, 2, 1)
    assert (dims == 2).sum() >= 60
    labels, strata_dims, _ = find_strata(
        X, dims, n_neighbors=10, tangents=local_pca_tangents(X, 20), max_tangent_angle=30.0
    )
    assert strata_dims.tolist() == [1, 1, 1]
    kept = labels >= 0
    assert np.all(labels[dims == 2] == -1)
    assert adjusted_rand_score(y[kept], labels[kept]) == 1.0


def test_crossing_points_leave_an_unevenly_sampled_stratum_whole():
    """A noisy circle sampled twenty times more densely on one side than the other, and a
    noisy sphere, have no crossing: no point is cut out and each stays one stratum."""
    from sklearn_strata.strata._crossings import crossing_points
    from sklearn_strata.strata._graph import _kneighbors

    rng = np.random.default_rng(1)
    t = rng.vonmises(0, 1.5, 3000)
    circle = np.c_[np.cos(t), np.sin(t), np.zeros((3000, 4))]
    sphere = rng.normal(size=(3000, 3))
    sphere = np.c_[sphere / np.linalg.norm(sphere, axis=1, keepdims=True), np.zeros((3000, 3))]
    for X, d in ((circle, 1), (sphere, 2)):
        X = X + 0.01 * rng.normal(size=X.shape)
        dims = np.full(len(X), d)
        kneighbors = _kneighbors(X, 10)
        crossing = crossing_points(
            X, np.zeros(len(X), dtype=np.intp), dims, kneighbors, max_angle=30.0
        )
        assert not crossing.any()
        _, strata_dims, _ = find_strata(
            X, dims, n_neighbors=10, tangents=local_pca_tangents(X, 30), max_tangent_angle=30.0
        )
        assert strata_dims.tolist() == [d]


def test_a_shell_read_one_dimension_less_joins_its_ball():
    """Near the boundary of a solid ball half the points read 2 instead of 3: that shell
    lines the ball from inside and joins it, while a segment that only touches a disk
    keeps its own stratum."""
    rng = np.random.default_rng(0)
    ball = rng.normal(size=(3000, 3))
    ball *= rng.uniform(size=(3000, 1)) ** (1 / 3) / np.linalg.norm(ball, axis=1, keepdims=True)
    shell = (np.linalg.norm(ball, axis=1) > 0.85) & (rng.uniform(size=3000) < 0.5)
    dims = np.where(shell, 2, 3)
    labels, strata_dims, _ = find_strata(ball, dims, n_neighbors=10, merge_radius=0)
    assert strata_dims.tolist() == [3]
    assert np.mean(labels == 0) >= 0.98
    # without the absorption, the shell is a 2-dimensional stratum of its own
    components = component_labels(equal_dimension_graph(ball, dims, 10))
    assert 2 in order_strata(components, dims, 60)[1].tolist()
    # a segment touching a disk: its neighbors lie in it, it stays a stratum
    t = rng.uniform(size=(2000, 2)) * 2 - 1
    t = t[np.linalg.norm(t, axis=1) < 1]
    disk = np.c_[t, np.zeros(t.shape[0])]
    segment = np.c_[np.zeros((400, 2)), rng.uniform(0, 1, 400)]
    X = np.r_[disk, segment]
    dims = np.r_[np.full(disk.shape[0], 2), np.ones(400, dtype=int)]
    _, strata_dims, _ = find_strata(X, dims, n_neighbors=10)
    assert sorted(strata_dims.tolist()) == [1, 2]


def test_point_mass_of_duplicates_is_one_stratum():
    rng = np.random.default_rng(0)
    X = np.r_[np.zeros((300, 2)), rng.uniform(1, 2, (100, 2))]
    dims = np.r_[np.zeros(300), 2 * np.ones(100)]
    labels, strata_dims, weights = find_strata(X, dims, n_neighbors=5)
    assert strata_dims.tolist() == [0, 2]
    np.testing.assert_allclose(weights, [0.75, 0.25])
    assert np.all(labels[:300] == 0)


def test_helpers():
    np.testing.assert_array_equal(round_dimensions([-1, 0.4, 1.6, 7, np.nan], 3), [0, 0, 2, 3, 0])
    assert min_size_to_count(0.02, 1000) == 20
    assert min_size_to_count(5, 1000) == 5
    U = np.eye(3)[None, :, :2]
    V = np.array([[1, 0, 0], [0, 0, 1], [0, 1, 0]], dtype=float)[None, :, :2]
    np.testing.assert_allclose(max_principal_angles(U, V), [90.0])
    np.testing.assert_allclose(max_principal_angles(U, U), [0.0], atol=1e-6)


# ---------------------------------------------------------------------------------------------
# The estimator.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(_CASES))
def test_counter_with_known_dimensions(case):
    make, expected = _CASES[case]
    X, y, dims, _ = make(np.random.default_rng(0))
    counter = StratumCounter(dimension_estimator=_Known(dims=dims))
    labels = counter.fit_predict(X)
    assert counter.n_strata_ == len(expected)
    assert sorted(counter.strata_dims_.tolist(), reverse=True) == expected
    assert _ari(y, labels) >= 0.9
    np.testing.assert_array_equal(labels, counter.labels_)
    np.testing.assert_array_equal(counter.dimension_pw_, dims)
    assert counter.n_features_in_ == 3
    # strata ordered by decreasing size
    sizes = np.bincount(labels[labels >= 0])
    assert np.all(np.diff(sizes) <= 0)


def test_local_dimensions_is_a_deprecated_alias_of_dimension_pw():
    X, _, dims, _ = _lollipop(np.random.default_rng(0))
    counter = StratumCounter(dimension_estimator=_Known(dims=dims)).fit(X)
    with pytest.warns(FutureWarning, match="local_dimensions_.*dimension_pw_"):
        old = counter.local_dimensions_
    assert old is counter.dimension_pw_
    assert not hasattr(StratumCounter(), "dimension_pw_")
    with pytest.warns(FutureWarning):
        assert not hasattr(StratumCounter(), "local_dimensions_")


def test_counter_with_local_pca_dimensions_on_lollipop():
    X, y, _, _ = _lollipop(np.random.default_rng(0))
    counter = StratumCounter(dimension_estimator=_LocalPCADimensions()).fit(X)
    assert counter.strata_dims_.tolist() == [2, 1, 0]
    assert _ari(y, counter.labels_) >= 0.9


def test_fitted_estimator_is_reused_unfitted_is_cloned():
    X, _, dims, _ = _lollipop(np.random.default_rng(0))
    unfitted = _Known(dims=dims)
    counter = StratumCounter(dimension_estimator=unfitted).fit(X)
    assert counter.dimension_estimator_ is not unfitted
    assert not hasattr(unfitted, "dimension_pw_")
    fitted = _Known(dims=dims).fit(X)
    counter = StratumCounter(dimension_estimator=fitted).fit(X)
    assert counter.dimension_estimator_ is fitted
    np.testing.assert_array_equal(counter.dimension_pw_, dims)
    # fitted on other data: transform(X) is used
    counter = StratumCounter(dimension_estimator=fitted).fit(X[::2])
    np.testing.assert_array_equal(counter.dimension_pw_, dims[::2])


def test_tangent_source():
    X, y, dims, _ = _crossing_planes(np.random.default_rng(0))
    with pytest.raises(ValueError, match="tangent_spaces"):
        StratumCounter(_Known(dims=dims), tangent_source="estimator").fit(X)
    counter = StratumCounter(_Known(dims=dims), tangent_source="local_pca").fit(X)
    assert counter.strata_dims_.tolist() == [2, 2]
    counter = StratumCounter(_Known(dims=dims), tangent_split=False).fit(X)
    assert counter.strata_dims_.tolist() == [2]


def test_predict():
    rng = np.random.default_rng(0)
    X, y, dims, _ = _line_disk_ball(rng)
    counter = StratumCounter(_Known(dims=dims)).fit(X)
    kept = counter.labels_ >= 0
    agree = np.mean(counter.predict(X)[kept] == counter.labels_[kept])
    assert agree >= 0.98
    X_new, y_new, _, _ = _line_disk_ball(np.random.default_rng(1))
    pred = counter.predict(X_new)
    assert adjusted_rand_score(y_new[pred >= 0], pred[pred >= 0]) >= 0.9
    assert np.mean(pred >= 0) >= 0.95
    np.testing.assert_array_equal(counter.predict([[50.0, 50.0, 50.0]]), [-1])


def test_min_stratum_size():
    X, _, dims, _ = _lollipop(np.random.default_rng(0))
    assert StratumCounter(_Known(dims=dims), min_stratum_size=0.2).fit(X).n_strata_ == 2
    assert StratumCounter(_Known(dims=dims), min_stratum_size=150).fit(X).n_strata_ == 2
    assert StratumCounter(_Known(dims=dims), min_stratum_size=101).fit(X).n_strata_ == 2
    assert StratumCounter(_Known(dims=dims), min_stratum_size=100).fit(X).n_strata_ == 3


def test_refit_is_deterministic():
    X, _, _, _ = _string_in_doughnut(np.random.default_rng(0))
    counter = StratumCounter(_LocalPCADimensions(), n_neighbors=12, max_tangent_angle=40.0)
    a = clone(counter).fit_predict(X)
    b = clone(counter).fit_predict(X)
    np.testing.assert_array_equal(a, b)


@given(
    n_features=st.integers(1, 4),
    n_samples=st.integers(2, 60),
    seed=st.integers(0, 2**16),
    min_size=st.sampled_from([0.02, 0.1, 1, 5]),
)
def test_labels_and_attributes_are_consistent(n_features, n_samples, seed, min_size):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    dims = rng.integers(-1, n_features + 2, n_samples).astype(float)
    counter = StratumCounter(_Known(dims=dims), min_stratum_size=min_size).fit(X)
    labels = counter.labels_
    assert labels.shape == (n_samples,)
    assert labels.min() >= -1 and labels.max() < counter.n_strata_
    assert set(np.unique(labels[labels >= 0])) == set(range(counter.n_strata_))
    assert counter.strata_dims_.shape == counter.weights_.shape == (counter.n_strata_,)
    assert np.all((counter.strata_dims_ >= 0) & (counter.strata_dims_ <= n_features))
    if counter.n_strata_:
        np.testing.assert_allclose(counter.weights_.sum(), 1.0)
    # each stratum is at least min_stratum_size large
    sizes = np.bincount(labels[labels >= 0], minlength=counter.n_strata_)
    assert np.all(sizes >= min_size_to_count(min_size, n_samples))
    assert counter.predict(X).shape == (n_samples,)


@parametrize_with_checks([StratumCounter(dimension_estimator=_LocalPCADimensions())])
def test_sklearn_compatible(estimator, check):
    # some checks draw from numpy's global RNG themselves (np.random.permutation); restore
    # it so that the suite's guard only catches changes made by the library
    state = np.random.get_state()  # noqa: NPY002
    try:
        check(estimator)
    finally:
        np.random.set_state(state)  # noqa: NPY002

"""Tests of the ground-truth stratified data sets."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from sklearn_strata.datasets import (
    Ball,
    Cube,
    Point,
    Segment,
    Sphere,
    StratifiedSpace,
    Torus,
    make_crossing_planes,
    make_disjoint_circles,
    make_line_disk_ball,
    make_lollipop,
    make_sphere_line,
    make_stratified,
    make_string_in_doughnut,
)
from sklearn_strata.datasets._geomstats_compat import import_geomstats

PRESETS = {
    make_lollipop: [2, 1, 0],
    make_sphere_line: [2, 1],
    make_string_in_doughnut: [2, 1],
    make_line_disk_ball: [1, 2, 3],
    make_crossing_planes: [2, 2],
    make_disjoint_circles: [1, 1],
}
# Pairs of labels whose strata touch or cross, and pairs kept apart (with their gap).
TOUCHING = {
    make_lollipop: [(0, 1)],
    make_sphere_line: [(0, 1)],
    make_line_disk_ball: [(0, 1), (0, 2), (1, 2)],
    make_crossing_planes: [(0, 1)],
}
APART = {make_string_in_doughnut: 0.4, make_disjoint_circles: 1.0}


def _primitives():
    return [
        Point(),
        Segment(length=2.0),
        Ball(1),
        Ball(2, radius=1.5),
        Ball(3),
        Cube(2, side=2.0),
        Cube(3, side=1.0),
        Sphere(1, radius=2.0),
        Sphere(2),
        Sphere(3, radius=0.5),
        Torus(radii=(2.0, 0.7)),
    ]


@pytest.mark.parametrize("stratum", _primitives(), ids=repr)
def test_primitive_samples_lie_on_the_stratum(stratum):
    Z = stratum.sample_local(500, random_state=0)
    assert Z.shape == (500, stratum.embedding_dim)
    assert Z.dtype == np.float64
    assert np.all(stratum.distance_local(Z) < 1e-8)


@pytest.mark.parametrize("stratum", _primitives(), ids=repr)
def test_primitive_distance_matches_brute_force(stratum):
    # The exact distance is a lower bound of the distance to any sample, and a dense sample
    # gets close to it.
    Z = stratum.sample_local(20000, random_state=0)
    rng = np.random.RandomState(1)
    queries = 3.0 * rng.uniform(-1, 1, size=(200, stratum.embedding_dim))
    if stratum.embedding_dim == 0:
        queries = np.zeros((5, 0))
    exact = stratum.distance_local(queries)
    brute, _ = cKDTree(Z).query(queries) if stratum.embedding_dim else (np.zeros(5), None)
    assert np.all(exact <= brute + 1e-12)
    assert np.all(brute - exact < 0.15)


@pytest.mark.parametrize("dim", [1, 2, 3, 5])
def test_sphere_samples_belong_to_geomstats_hypersphere(dim):
    sphere = Sphere(dim, radius=2.0)
    X, _, space = make_stratified(
        [sphere], 300, ambient_dim=dim + 4, random_state=0, return_space=True
    )
    placed = space.strata[0]
    local = placed.to_local(X) / 2.0
    Hypersphere = import_geomstats("geomstats.geometry.hypersphere").Hypersphere
    assert np.all(Hypersphere(dim, equip=False).belongs(local, atol=1e-8))
    assert np.all(space.distance(X) < 1e-8)


def test_uniform_sampling_follows_the_volume_measure():
    disk = Ball(2).sample_local(20000, random_state=0)
    assert np.mean(np.linalg.norm(disk, axis=1) < 0.5) == pytest.approx(0.25, abs=0.02)
    ball = Ball(3).sample_local(20000, random_state=0)
    assert np.mean(np.linalg.norm(ball, axis=1) < 0.5) == pytest.approx(0.125, abs=0.02)
    sphere = Sphere(2).sample_local(20000, random_state=0)
    np.testing.assert_allclose(sphere.mean(axis=0), 0.0, atol=0.03)
    # On a torus the area element is (R + r cos v): E[cos v] = r / (2 R), not 0.
    major, minor = 2.0, 0.7
    torus = Torus(radii=(major, minor)).sample_local(20000, random_state=0)
    cos_v = (np.hypot(torus[:, 0], torus[:, 1]) - major) / minor
    assert np.mean(cos_v) == pytest.approx(minor / (2 * major), abs=0.02)


@pytest.mark.parametrize("make", list(PRESETS), ids=lambda f: f.__name__)
@pytest.mark.parametrize("ambient_dim", [3, 10])
def test_preset_noiseless_points_lie_on_their_stratum(make, ambient_dim):
    X, y, space = make(600, ambient_dim=ambient_dim, random_state=0, return_space=True)
    distances = space.distance_to_strata(X)
    assert np.all(distances[np.arange(len(y)), y] < 1e-8)
    assert np.all(space.distance(X) < 1e-8)


@pytest.mark.parametrize("make", list(PRESETS), ids=lambda f: f.__name__)
def test_preset_shapes_labels_and_dimensions(make):
    X, y, space = make(301, ambient_dim=7, random_state=0, return_space=True)
    assert X.shape == (301, 7) and X.dtype == np.float64
    assert y.shape == (301,) and np.issubdtype(y.dtype, np.integer)
    assert space.ambient_dim == 7
    assert space.n_strata == len(PRESETS[make])
    np.testing.assert_array_equal(space.strata_dims, PRESETS[make])
    assert set(np.unique(y)) <= set(range(space.n_strata))
    counts = np.bincount(y, minlength=space.n_strata)
    assert np.all(np.abs(counts - 301 * space.weights) <= 1)
    np.testing.assert_array_equal(space.pointwise_dimension(y), space.strata_dims[y])


@pytest.mark.parametrize("make", list(PRESETS), ids=lambda f: f.__name__)
def test_preset_is_not_axis_aligned(make):
    X, _ = make(300, ambient_dim=10, random_state=0)
    # A random isometry leaves no coordinate identically zero.
    assert np.all(np.abs(X).max(axis=0) > 1e-3)


@pytest.mark.parametrize("make", list(TOUCHING), ids=lambda f: f.__name__)
def test_preset_strata_touch(make):
    X, y, space = make(4000, ambient_dim=5, random_state=0, return_space=True)
    distances = space.distance_to_strata(X)
    for i, j in TOUCHING[make]:
        # Samples of one stratum come as close to the other as the sampling density allows.
        assert distances[y == j, i].min() < 0.05
        assert distances[y == i, j].min() < 0.05
        gap = cKDTree(X[y == i]).query(X[y == j])[0].min()
        assert gap < 0.1


@pytest.mark.parametrize("make", list(APART), ids=lambda f: f.__name__)
def test_preset_strata_apart(make):
    X, y, space = make(2000, ambient_dim=5, random_state=0, return_space=True)
    gap = cKDTree(X[y == 0]).query(X[y == 1])[0].min()
    assert gap == pytest.approx(APART[make], abs=0.05)
    assert space.distance_to_strata(X[y == 1])[:, 0].min() == pytest.approx(APART[make], abs=1e-3)


def test_lollipop_geometry():
    X, y, space = make_lollipop(2000, ambient_dim=10, random_state=0, return_space=True)
    tip = X[y == 2]
    assert np.ptp(tip, axis=0).max() < 1e-12
    disk_center = space.strata[0].origin
    assert np.linalg.norm(tip[0] - disk_center) == pytest.approx(np.sqrt(10.0))
    assert np.linalg.norm(X[y == 0] - disk_center, axis=1).max() <= 1.0 + 1e-12


@pytest.mark.parametrize("angle", [30.0, 90.0, 150.0])
def test_crossing_planes_angle(angle):
    _, _, space = make_crossing_planes(
        10, ambient_dim=6, angle=angle, random_state=0, return_space=True
    )
    first, second = (stratum.frame for stratum in space.strata)
    cosines = np.linalg.svd(first.T @ second, compute_uv=False)
    np.testing.assert_allclose(
        np.sort(cosines), np.sort([1.0, abs(np.cos(np.deg2rad(angle)))]), atol=1e-12
    )


@pytest.mark.parametrize("make", [make_lollipop, make_sphere_line], ids=lambda f: f.__name__)
def test_union_distance_against_dense_sample(make):
    dense, _, space = make(30000, ambient_dim=3, random_state=0, return_space=True)
    rng = np.random.RandomState(1)
    queries = rng.uniform(-2.5, 3.5, size=(300, 3))
    exact = space.distance(queries)
    brute = cKDTree(dense).query(queries)[0]
    assert np.all(exact <= brute + 1e-12)
    assert np.all(brute - exact < 0.1)
    np.testing.assert_array_equal(
        space.nearest_stratum(queries), space.distance_to_strata(queries).argmin(axis=1)
    )


@pytest.mark.parametrize("ambient_dim", [3, 8])
def test_noise_on_a_flat_stratum(ambient_dim):
    # Off a flat stratum the distance is the norm of the noise's normal part:
    # E[distance^2] = noise^2 (D - d), away from the border.
    X, _, space = make_stratified(
        [Cube(2, side=20.0)],
        4000,
        ambient_dim=ambient_dim,
        noise=0.05,
        random_state=0,
        return_space=True,
    )
    mean_square = np.mean(space.distance(X) ** 2) / 0.05**2
    assert mean_square == pytest.approx(ambient_dim - 2, rel=0.1)


@pytest.mark.parametrize("make", list(PRESETS), ids=lambda f: f.__name__)
def test_distance_scales_with_noise(make):
    ratios = []
    for noise in [1e-3, 3e-3, 1e-2]:
        X, _, space = make(2000, ambient_dim=10, noise=noise, random_state=0, return_space=True)
        ratios.append(np.median(space.distance(X)) / noise)
    assert max(ratios) / min(ratios) < 1.05
    # Most of the noise is normal to a low-dimensional stratum in R^10.
    assert 2.0 < ratios[0] < 3.2


def test_noise_adds_to_the_same_points():
    X0, y0 = make_sphere_line(100, random_state=0)
    X1, y1 = make_sphere_line(100, noise=0.1, random_state=0)
    X2, _ = make_sphere_line(100, noise=0.2, random_state=0)
    np.testing.assert_array_equal(y0, y1)
    np.testing.assert_allclose(X2 - X0, 2 * (X1 - X0), atol=1e-12)


@pytest.mark.parametrize("make", list(PRESETS), ids=lambda f: f.__name__)
def test_same_seed_same_data(make):
    X1, y1 = make(200, ambient_dim=5, noise=0.01, random_state=42)
    X2, y2 = make(200, ambient_dim=5, noise=0.01, random_state=42)
    X3, _ = make(200, ambient_dim=5, noise=0.01, random_state=43)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(X1, X3)
    X4, _ = make(200, ambient_dim=5, noise=0.01, random_state=np.random.RandomState(42))
    np.testing.assert_array_equal(X1, X4)


def test_global_numpy_state_untouched():
    before = np.random.get_state()  # noqa: NPY002
    make_string_in_doughnut(100, random_state=0)
    make_stratified([Sphere(2), Cube(2), Torus()], 100, ambient_dim=4, random_state=None)
    Sphere(3).sample(10, random_state=1)
    after = np.random.get_state()  # noqa: NPY002
    assert before[0] == after[0]
    np.testing.assert_array_equal(before[1], after[1])
    assert before[2:] == after[2:]


@st.composite
def _strata_lists(draw):
    strata = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["point", "segment", "ball", "cube", "sphere", "torus"]))
        dim = draw(st.integers(1, 3))
        size = draw(st.floats(0.5, 3.0))
        if kind == "point":
            strata.append(Point())
        elif kind == "segment":
            strata.append(Segment(length=size))
        elif kind == "ball":
            strata.append(Ball(dim, radius=size))
        elif kind == "cube":
            strata.append(Cube(dim, side=size))
        elif kind == "sphere":
            strata.append(Sphere(dim, radius=size))
        else:
            strata.append(Torus(radii=(size, size / 3)))
    return strata


@given(
    strata=_strata_lists(),
    extra_dims=st.integers(0, 4),
    n_samples=st.integers(1, 200),
    seed=st.integers(0, 2**31 - 1),
)
def test_make_stratified_properties(strata, extra_dims, n_samples, seed):
    needed = max(1, *(stratum.embedding_dim for stratum in strata))
    X, y, space = make_stratified(
        strata, n_samples, ambient_dim=needed + extra_dims, random_state=seed, return_space=True
    )
    assert X.shape == (n_samples, needed + extra_dims)
    assert np.all((0 <= y) & (y < len(strata)))
    np.testing.assert_array_equal(space.strata_dims, [stratum.dim for stratum in strata])
    assert np.all(space.distance_to_strata(X)[np.arange(n_samples), y] < 1e-8)
    for placed in space.strata:
        frame = placed.frame
        np.testing.assert_allclose(frame.T @ frame, np.eye(frame.shape[1]), atol=1e-10)
        assert np.linalg.norm(placed.origin) <= 1.0


def test_make_stratified_smallest_ambient_dim_and_given_placement():
    X, _, space = make_stratified([Sphere(2), Segment()], 10, random_state=0, return_space=True)
    assert X.shape[1] == space.ambient_dim == 3

    stick = Segment(length=2.0, rotation=[[0.0], [1.0]], offset=[5.0, 0.0])
    X, y, space = make_stratified(
        [Ball(2), stick], 200, ambient_dim=4, random_state=0, return_space=True
    )
    placed = space.strata[1]
    np.testing.assert_array_equal(placed.frame, [[0.0], [1.0], [0.0], [0.0]])
    np.testing.assert_array_equal(placed.origin, [5.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(X[y == 1][:, [0, 2, 3]], [[5.0, 0.0, 0.0]] * np.sum(y == 1))


@given(
    stratum=st.sampled_from(_primitives()),
    extra_dims=st.integers(0, 3),
    scale=st.floats(0.2, 5.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_placed_distance_adds_the_orthogonal_part(stratum, extra_dims, scale, seed):
    rng = np.random.RandomState(seed)
    ambient_dim = stratum.embedding_dim + extra_dims + 1
    frame = np.linalg.qr(rng.standard_normal((ambient_dim, ambient_dim)))[0]
    tangent, normal = frame[:, : stratum.embedding_dim], frame[:, stratum.embedding_dim :]
    placed = stratum.place(rotation=tangent, offset=rng.standard_normal(ambient_dim), scale=scale)
    local = 3.0 * rng.standard_normal((20, stratum.embedding_dim))
    away = rng.standard_normal((20, normal.shape[1]))
    X = placed.to_ambient(local) + away @ normal.T
    expected = np.hypot(scale * stratum.distance_local(local), np.linalg.norm(away, axis=1))
    np.testing.assert_allclose(placed.distance(X), expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(placed.to_local(X), local, atol=1e-10)


def test_placed_stratum_distance_and_scale():
    circle = Sphere(
        1,
        radius=1.0,
        rotation=[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]],
        offset=[0.0, 0.0, 1.0],
        scale=2.0,
    )
    assert circle.ambient_dim == 3
    np.testing.assert_allclose(circle.distance([[0.0, 0.0, 1.0], [2.0, 0.0, 4.0]]), [2.0, 3.0])
    np.testing.assert_allclose(np.linalg.norm(circle.sample(50, 0) - [0, 0, 1], axis=1), 2.0)


def test_default_weights_are_equal():
    _, y, space = make_stratified(
        [Ball(2), Sphere(1), Point()], 300, random_state=0, return_space=True
    )
    np.testing.assert_allclose(space.weights, 1 / 3)
    np.testing.assert_array_equal(np.bincount(y), [100, 100, 100])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"noise": -0.1}, "noise"),
        ({"noise": np.nan}, "noise"),
        ({"noise": np.inf}, "noise"),
        ({"n_samples": 0}, "n_samples"),
        ({"n_samples": 2.5}, "n_samples"),
        ({"n_samples": True}, "n_samples"),
        ({"ambient_dim": 2}, "ambient_dim"),
        ({"ambient_dim": 0}, "ambient_dim"),
        ({"weights": [0.5, 0.5]}, "weights"),
        ({"weights": [1.5, -0.5, 0.0]}, "weights"),
        ({"weights": [0.3, 0.3, 0.3]}, "weights"),
        ({"weights": [0.5, 0.5, 1e-7]}, "weights"),
        ({"strata": []}, "strata"),
        ({"strata": [Sphere(2), "disk"]}, "strata"),
        ({"strata": Sphere(2)}, "strata"),
    ],
)
def test_make_stratified_errors(kwargs, match):
    params = {"strata": [Sphere(2), Ball(2), Point()], "n_samples": 10}
    params.update(kwargs)
    with pytest.raises(ValueError, match=match):
        make_stratified(params.pop("strata"), **params)


@pytest.mark.parametrize("make", list(PRESETS), ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"noise": -1.0}, "noise"),
        ({"n_samples": 0}, "n_samples"),
        ({"ambient_dim": 1}, "ambient_dim"),
        ({"weights": [1.0]}, "weights"),
    ],
)
def test_preset_errors(make, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make(**kwargs)


@pytest.mark.parametrize(
    "make", [make_sphere_line, make_string_in_doughnut, make_line_disk_ball, make_crossing_planes]
)
def test_three_dimensional_presets_reject_the_plane(make):
    with pytest.raises(ValueError, match="ambient_dim"):
        make(ambient_dim=2)


@pytest.mark.parametrize("angle", [0.0, 180.0, -10.0, np.nan, "90"])
def test_crossing_planes_rejects_bad_angle(angle):
    with pytest.raises(ValueError, match="angle"):
        make_crossing_planes(angle=angle)


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: Sphere(0), "dim"),
        (lambda: Ball(2, radius=-1.0), "radius"),
        (lambda: Cube(2, side=0.0), "side"),
        (lambda: Segment(length=np.inf), "length"),
        (lambda: Torus(radii=(1.0, 2.0)), "radii"),
        (lambda: Torus(radii=1.0), "radii"),
        (lambda: Ball(2, rotation=np.ones((3, 2))), "rotation"),
        (lambda: Ball(2, rotation=np.eye(3)), "rotation"),
        (lambda: Ball(2, rotation=np.eye(3)[:, :2], offset=[0.0, 0.0]), "offset"),
        (lambda: Sphere(2, offset=[0.0, 0.0]), "offset"),
        (lambda: Ball(2, scale=0.0), "scale"),
    ],
)
def test_stratum_errors(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_space_errors():
    with pytest.raises(ValueError, match="ambient"):
        StratifiedSpace([Sphere(2), Sphere(1)])
    space = StratifiedSpace([Sphere(2), Ball(3)])
    with pytest.raises(ValueError, match="features"):
        space.distance(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="y"):
        space.pointwise_dimension([0, 2])
    with pytest.raises(ValueError, match="n_samples"):
        space.sample(0)
    with pytest.raises(ValueError, match="noise"):
        space.sample(10, noise=-1.0)

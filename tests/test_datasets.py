"""Tests of the ground-truth stratified data sets."""

import copy

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from sklearn_strata.datasets import (
    Ball,
    Cube,
    FigureEightKleinBottle,
    MobiusBand,
    Point,
    Segment,
    Sphere,
    StratifiedSpace,
    ToroidalHelix,
    Torus,
    add_redundant_columns,
    make_crossing_circles,
    make_crossing_planes,
    make_disjoint_circles,
    make_high_dim_strata,
    make_line_disk_ball,
    make_lollipop,
    make_self_intersecting_surface,
    make_sphere_line,
    make_sphere_line_cube,
    make_stratified,
    make_string_in_doughnut,
    make_twisted_strata,
)
from sklearn_strata.datasets._geomstats_compat import import_geomstats

PRESETS = {
    make_lollipop: [2, 1, 0],
    make_sphere_line: [2, 1],
    make_string_in_doughnut: [2, 1],
    make_line_disk_ball: [1, 2, 3],
    make_crossing_planes: [2, 2],
    make_crossing_circles: [1, 1],
    make_disjoint_circles: [1, 1],
}
# Pairs of labels whose strata touch or cross, and pairs kept apart (with their gap).
TOUCHING = {
    make_lollipop: [(0, 1)],
    make_sphere_line: [(0, 1)],
    make_line_disk_ball: [(0, 1), (0, 2), (1, 2)],
    make_crossing_planes: [(0, 1)],
    make_crossing_circles: [(0, 1)],
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


# Curved strata with a numerical distance, and the presets built from them (issue #12).


def _curved_primitives():
    return [
        MobiusBand(n_half_twists=3, radius=2.0, width=1.0, density_ratio=5.0),
        MobiusBand(n_half_twists=2, radius=1.5, width=0.8),
        ToroidalHelix(n_turns=10, radii=(2.0, 0.35), density_ratio=5.0),
        ToroidalHelix(n_turns=3, radii=(1.0, 0.5)),
        FigureEightKleinBottle(radii=(2.0, 0.5)),
    ]


def _reference(stratum):
    """The same stratum with a grid twice as fine and six refined starts per point."""
    reference = copy.copy(stratum)
    reference._tree = None
    reference._grid_shape = tuple(2 * n for n in stratum._grid_shape)
    reference._n_starts = 6
    return reference


def _normals(stratum, T):
    """Unit normals of a 2-d stratum in R^3, or unit normals of a curve in R^3."""
    J = stratum._jacobian(T)
    if stratum.dim == 2:
        normal = np.cross(J[:, :, 0], J[:, :, 1])
    else:
        tangent = J[:, :, 0]
        normal = np.cross(tangent, [0.3, -0.5, 0.8])
    return normal / np.linalg.norm(normal, axis=1, keepdims=True)


@pytest.mark.parametrize("stratum", _curved_primitives(), ids=repr)
def test_curved_samples_lie_on_the_stratum(stratum):
    Z = stratum.sample_local(1000, random_state=0)
    assert Z.shape == (1000, stratum.embedding_dim) and Z.dtype == np.float64
    assert np.all(stratum.distance_local(Z) < 1e-8)
    np.testing.assert_array_equal(Z, stratum.sample_local(1000, random_state=0))


@pytest.mark.parametrize("stratum", _curved_primitives(), ids=repr)
def test_curved_distance_within_its_error_bound(stratum):
    rng = np.random.RandomState(1)
    near = stratum.sample_local(300, random_state=2) + 0.2 * rng.standard_normal((300, 3))
    queries = np.concatenate([3.0 * rng.uniform(-1, 1, size=(300, 3)), near])
    computed = stratum.distance_local(queries)
    # Both are distances to actual points of the stratum: never below the exact distance.
    reference = _reference(stratum).distance_local(queries)
    assert 0.0 < stratum.distance_error_bound < 0.05
    assert np.all(computed >= 0.0)
    assert np.all(computed - reference <= stratum.distance_error_bound)
    assert np.all(reference - computed <= 1e-9)
    # In practice the refinement reaches the reference.
    assert np.max(np.abs(computed - reference)) < 1e-7
    # A dense sample bounds the exact distance from above.
    brute = cKDTree(stratum.sample_local(100000, random_state=3)).query(queries)[0]
    assert np.all(computed <= brute + stratum.distance_error_bound)
    assert np.all(brute - computed < 0.1)


@pytest.mark.parametrize("stratum", _curved_primitives(), ids=repr)
def test_curved_distance_of_points_pushed_along_a_normal(stratum):
    rng = np.random.RandomState(0)
    lows, highs = zip(*[(low, high) for low, high, _ in stratum._param_ranges], strict=True)
    T = rng.uniform(lows, highs, size=(400, stratum.dim))
    if isinstance(stratum, MobiusBand):
        T[:, 1] *= 0.8  # away from the edge, where the nearest point is on the rim
    if isinstance(stratum, FigureEightKleinBottle):
        # Away from the self-intersection (v = 0, pi), where the other sheet is near.
        T[:, 1] = rng.choice([1.0, -1.0], size=400) * rng.uniform(0.6, 2.5, size=400)
    push = rng.uniform(0.0, 0.05, size=400)
    signs = rng.choice([1.0, -1.0], size=400)
    Z = stratum.from_params(T) + (signs * push)[:, None] * _normals(stratum, T)
    np.testing.assert_allclose(stratum.distance_local(Z), push, atol=1e-7)


def test_klein_bottle_crosses_itself():
    klein = FigureEightKleinBottle(radii=(2.0, 0.5))
    u = np.linspace(0.0, 2 * np.pi, 50)
    first = np.column_stack([u, np.zeros(50)])
    second = np.column_stack([u, np.full(50, np.pi)])
    # Two distinct parameters map to the same point: the core circle of radius 2.
    np.testing.assert_allclose(klein.from_params(first), klein.from_params(second), atol=1e-12)
    np.testing.assert_allclose(np.hypot(*klein.from_params(first)[:, :2].T), 2.0)
    # The two sheets meet transversally there (different tangent planes).
    cosines = np.abs(np.sum(_normals(klein, first) * _normals(klein, second), axis=1))
    assert np.all(cosines < 0.9)
    assert np.all(klein.distance_local(klein.from_params(first)) < 1e-12)


def _slice_density(stratum, Z, center, half_width=0.15):
    """Fraction of the samples whose ring angle is within half_width of center, per area."""
    angle = np.arctan2(Z[:, 1], Z[:, 0])
    inside = np.abs(np.angle(np.exp(1j * (angle - center)))) < half_width
    # Volume of the slice, from the volume element on a fine grid of its parameters.
    u = center + np.linspace(-half_width, half_width, 201)
    if stratum.dim == 1:
        volume = np.trapezoid(stratum.volume_element(u[:, None]), u)
    else:
        low, high, _ = stratum._param_ranges[1]
        v = np.linspace(low, high, 201)
        grid = np.stack(np.meshgrid(u, v, indexing="ij"), axis=-1).reshape(-1, 2)
        element = stratum.volume_element(grid).reshape(201, 201)
        volume = np.trapezoid(np.trapezoid(element, v, axis=1), u)
    return inside.mean() / volume


@pytest.mark.parametrize(
    "stratum",
    [
        MobiusBand(n_half_twists=3, density_ratio=5.0),
        ToroidalHelix(n_turns=10, density_ratio=5.0),
        MobiusBand(n_half_twists=3),
        ToroidalHelix(n_turns=10),
    ],
    ids=repr,
)
def test_curved_density_ratio(stratum):
    Z = stratum.sample_local(60000, random_state=0)
    ratio = _slice_density(stratum, Z, 0.0) / _slice_density(stratum, Z, np.pi)
    assert ratio == pytest.approx(stratum.density_ratio, rel=0.15)


def test_twisted_strata_is_non_uniform_as_documented():
    X, y, space = make_twisted_strata(
        20000, ambient_dim=10, density_ratio=5.0, random_state=0, return_space=True
    )
    for label in (0, 1):
        placed = space.strata[label]
        Z = placed.to_local(X[y == label])
        ratio = _slice_density(placed, Z, 0.0) / _slice_density(placed, Z, np.pi)
        assert ratio == pytest.approx(5.0, rel=0.2)
    # The ball is uniform: a quarter of it lies within half its radius... of 1/8 volume.
    center = space.strata[2].origin
    assert np.mean(np.linalg.norm(X[y == 2] - center, axis=1) < 0.25) == pytest.approx(
        0.125, abs=0.03
    )


NEW_PRESETS = {
    "twisted": (make_twisted_strata, {}, [2, 1, 3], (0.5, 0.3, 0.2)),
    "twisted_uniform": (
        make_twisted_strata,
        {"density_ratio": 1.0, "n_half_twists": 1, "n_turns": 4},
        [2, 1, 3],
        (0.5, 0.3, 0.2),
    ),
    "self_intersecting": (make_self_intersecting_surface, {}, [2, 1], (0.8, 0.2)),
    "klein_alone": (make_self_intersecting_surface, {"with_segment": False}, [2], (1.0,)),
    "high_dim_mixed": (make_high_dim_strata, {}, [10, 1, 5], (1 / 3,) * 3),
    "high_dim_alone": (make_high_dim_strata, {"strata_dims": (20,)}, [20], (1.0,)),
    "high_dim_many": (
        make_high_dim_strata,
        {"strata_dims": (2, 1, 1, 3, 1, 1), "gap": 0.5},
        [2, 1, 1, 3, 1, 1],
        (1 / 6,) * 6,
    ),
}


@pytest.mark.parametrize("name", list(NEW_PRESETS))
def test_new_preset_shapes_labels_and_truth(name):
    make, kwargs, dims, weights = NEW_PRESETS[name]
    ambient_dim = 30 if make is make_high_dim_strata else 7
    X, y, space = make(601, ambient_dim=ambient_dim, random_state=0, return_space=True, **kwargs)
    assert X.shape == (601, ambient_dim) and X.dtype == np.float64
    assert y.shape == (601,) and np.issubdtype(y.dtype, np.integer)
    np.testing.assert_array_equal(space.strata_dims, dims)
    np.testing.assert_allclose(space.weights, weights)
    counts = np.bincount(y, minlength=space.n_strata)
    assert np.all(np.abs(counts - 601 * space.weights) <= 1)
    np.testing.assert_array_equal(space.pointwise_dimension(y), np.asarray(dims)[y])
    # Noiseless points lie on their stratum, and the output is shuffled.
    assert np.all(space.distance_to_strata(X)[np.arange(601), y] < 1e-8)
    assert space.n_strata == 1 or np.any(np.diff(y) < 0)
    # A random isometry leaves no coordinate identically zero.
    assert np.all(np.abs(X).max(axis=0) > 1e-3)


@pytest.mark.parametrize("name", ["twisted", "self_intersecting", "high_dim_mixed"])
def test_new_preset_same_seed_same_data_and_noise(name):
    make, kwargs, _, _ = NEW_PRESETS[name]
    X1, y1 = make(200, noise=0.01, random_state=42, **kwargs)
    X2, y2 = make(200, noise=0.01, random_state=np.random.RandomState(42), **kwargs)
    X3, _ = make(200, noise=0.01, random_state=43, **kwargs)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(X1, X3)
    X0, y0, space = make(200, random_state=42, return_space=True, **kwargs)
    np.testing.assert_array_equal(y0, y1)
    distance = space.distance(X1)
    assert 0.0 < np.median(distance) < 0.01 * np.sqrt(X1.shape[1])


def test_new_presets_leave_the_global_state_alone():
    before = np.random.get_state()  # noqa: NPY002
    make_twisted_strata(50, random_state=None)
    make_self_intersecting_surface(50, random_state=0)
    make_high_dim_strata(50, random_state=0)
    after = np.random.get_state()  # noqa: NPY002
    np.testing.assert_array_equal(before[1], after[1])


def test_twisted_strata_geometry():
    X, y, space = make_twisted_strata(6000, ambient_dim=5, random_state=0, return_space=True)
    distances = space.distance_to_strata(X)
    # The helix crosses the band (17 times): helix samples come onto the band.
    assert distances[y == 1, 0].min() < 0.02
    # The ball in the middle is 1 from the band and 1.15 from the helix.
    assert distances[y == 2, 0].min() == pytest.approx(1.0, abs=0.02)
    assert distances[y == 2, 1].min() == pytest.approx(1.15, abs=0.02)
    band = MobiusBand(n_half_twists=3)
    helix = ToroidalHelix(n_turns=10, radii=(2.0, 0.35))
    t = np.linspace(0.0, 2 * np.pi, 20000, endpoint=False)[:, None]
    on_band = band.distance_local(helix.from_params(t)) < 1e-3
    crossings = np.sum(on_band & ~np.roll(on_band, 1))
    assert crossings == 17


def test_self_intersecting_surface_geometry():
    X, y, space = make_self_intersecting_surface(
        6000, ambient_dim=6, random_state=0, return_space=True
    )
    surface, segment = space.strata
    # Samples come close to the self-intersection circle from both sheets.
    local = surface.to_local(X[y == 0])
    near_circle = np.hypot(np.hypot(local[:, 0], local[:, 1]) - 2.0, local[:, 2]) < 0.03
    assert near_circle.sum() > 10
    # The segment pierces the surface twice, at z = +-sqrt(3) / 4.
    z = np.linspace(-1.0, 1.0, 4001)
    points = np.column_stack([np.full_like(z, 2.25), np.zeros_like(z), z])
    gaps = FigureEightKleinBottle(radii=(2.0, 0.5)).distance_local(points)
    hits = z[gaps < 1e-3]
    np.testing.assert_allclose(np.unique(np.sign(hits)), [-1.0, 1.0])
    np.testing.assert_allclose(np.abs(hits), np.sqrt(3) / 4, atol=2e-3)
    assert segment.distance(X[y == 0]).min() < 0.05


@pytest.mark.parametrize("gap", [0.0, 0.5])
def test_high_dim_strata_touch_or_keep_the_gap(gap):
    dims = (4, 1, 2, 1, 1, 1, 1, 1, 1, 1)
    X, y, space = make_high_dim_strata(
        3000, strata_dims=dims, gap=gap, ambient_dim=20, random_state=0, return_space=True
    )
    cube = space.strata[0]
    for k, sphere in enumerate(space.strata[1:]):
        # The sphere's point nearest the cube is the one toward the cube's center.
        toward = cube.origin - sphere.origin
        nearest = sphere.origin + toward / np.linalg.norm(toward)
        assert cube.distance(nearest[None])[0] == pytest.approx(gap, abs=1e-12)
        assert np.linalg.norm(toward) == pytest.approx(2.0 + gap)
        assert cube.distance(X[y == k + 1]).min() >= gap - 1e-12
    # Spheres on different faces stay apart.
    gap_01 = cKDTree(X[y == 1]).query(X[y == 2])[0].min()
    assert gap_01 > 1.0


def test_redundant_columns_are_what_they_claim():
    X, y, space = make_sphere_line_cube(500, noise=0.01, random_state=0, return_space=True)
    X_new, sources = add_redundant_columns(
        X, n_constant=2, n_duplicated=3, random_state=0, return_sources=True
    )
    assert X_new.shape == (500, 17) and X_new.dtype == np.float64
    np.testing.assert_array_equal(X_new[:, :12], X)
    np.testing.assert_array_equal(sources[:2], [-1, -1])
    assert len(set(sources[2:])) == 3 and np.all((0 <= sources[2:]) & (sources[2:] < 12))
    assert np.all(np.ptp(X_new[:, 12:14], axis=0) == 0.0)
    assert np.all(np.abs(X_new[0, 12:14]) <= 1.0)
    for column, source in zip(range(14, 17), sources[2:], strict=True):
        factor = X_new[:, column] / X[:, source]
        np.testing.assert_allclose(factor, factor[0], rtol=1e-12)
        assert 0.5 <= abs(factor[0]) <= 2.0
    # Per-point truth is unchanged: same labels, same points in the first coordinates.
    np.testing.assert_array_equal(space.pointwise_dimension(y), space.strata_dims[y])
    np.testing.assert_allclose(space.distance(X_new[:, :12]), space.distance(X))
    exact = add_redundant_columns(X, 0, 4, rescale=False, random_state=1)
    assert exact.shape == (500, 16)
    for column in range(12, 16):
        assert any(np.array_equal(exact[:, column], X[:, j]) for j in range(12))
    np.testing.assert_array_equal(
        add_redundant_columns(X, random_state=3), add_redundant_columns(X, random_state=3)
    )
    assert add_redundant_columns(X, 0, 0).shape == X.shape
    # More copies than columns: columns are copied more than once.
    assert add_redundant_columns(X[:, :2], 1, 5, random_state=0).shape == (500, 8)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_constant": -1}, "n_constant"),
        ({"n_constant": 1.5}, "n_constant"),
        ({"n_duplicated": -2}, "n_duplicated"),
        ({"n_duplicated": True}, "n_duplicated"),
        ({"rescale": "yes"}, "rescale"),
    ],
)
def test_redundant_columns_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        add_redundant_columns(np.ones((5, 3)), **kwargs)
    with pytest.raises(ValueError):
        add_redundant_columns(np.ones(5))


@pytest.mark.parametrize(
    "make, kwargs, match",
    [
        (make_twisted_strata, {"density_ratio": 0.5}, "density_ratio"),
        (make_twisted_strata, {"density_ratio": np.inf}, "density_ratio"),
        (make_twisted_strata, {"n_turns": 0}, "n_turns"),
        (make_twisted_strata, {"n_half_twists": 1.5}, "n_half_twists"),
        (make_twisted_strata, {"ambient_dim": 2}, "ambient_dim"),
        (make_twisted_strata, {"weights": [0.5, 0.5]}, "weights"),
        (make_twisted_strata, {"noise": -1.0}, "noise"),
        (make_twisted_strata, {"n_samples": 0}, "n_samples"),
        (make_self_intersecting_surface, {"with_segment": "no"}, "with_segment"),
        (make_self_intersecting_surface, {"weights": [0.2, 0.3, 0.5]}, "weights"),
        (make_self_intersecting_surface, {"ambient_dim": 2}, "ambient_dim"),
        (make_high_dim_strata, {"strata_dims": ()}, "strata_dims"),
        (make_high_dim_strata, {"strata_dims": (10, 0)}, "strata_dims"),
        (make_high_dim_strata, {"strata_dims": (2.5,)}, "strata_dims"),
        (make_high_dim_strata, {"strata_dims": 5}, "strata_dims"),
        (make_high_dim_strata, {"gap": -0.1}, "gap"),
        (make_high_dim_strata, {"gap": np.nan}, "gap"),
        (make_high_dim_strata, {"ambient_dim": 15}, "ambient_dim"),
        (make_high_dim_strata, {"weights": [1.0]}, "weights"),
    ],
)
def test_new_preset_errors(make, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make(**{"n_samples": 10, **kwargs})


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: MobiusBand(0), "n_half_twists"),
        (lambda: MobiusBand(3, radius=1.0, width=2.0), "width"),
        (lambda: MobiusBand(3, width=-1.0), "width"),
        (lambda: ToroidalHelix(radii=(1.0, 1.0)), "radii"),
        (lambda: ToroidalHelix(radii=2.0), "radii"),
        (lambda: ToroidalHelix(density_ratio=0.0), "density_ratio"),
        (lambda: FigureEightKleinBottle(radii=(1.0, 0.8)), "radii"),
    ],
)
def test_curved_stratum_errors(build, match):
    with pytest.raises(ValueError, match=match):
        build()

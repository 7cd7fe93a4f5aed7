"""Tests of the alanine dipeptide trajectory: the shipped file, the loader and the simulator."""

import importlib.util
import sys

import numpy as np
import pytest

from sklearn_strata.datasets import _alanine, load_alanine_dipeptide, simulate_alanine_dipeptide

N_SHIPPED = 20000


def _skip_without_md():
    """Skip unless OpenMM and openmmtools' data files (the ``md`` extra) are installed."""
    pytest.importorskip("openmm")
    if importlib.util.find_spec("openmmtools") is None:
        pytest.skip("openmmtools (its data files) is not installed")


def test_shipped_trajectory_shapes_and_values():
    dihedrals, times = load_alanine_dipeptide(return_times=True)
    angles = load_alanine_dipeptide(features="angles")
    coordinates = load_alanine_dipeptide(features="coordinates")
    assert dihedrals.shape == (N_SHIPPED, 4)
    assert angles.shape == (N_SHIPPED, 2)
    assert coordinates.shape == (N_SHIPPED, 30)
    assert times.shape == (N_SHIPPED,)
    for X in (dihedrals, angles, coordinates, times):
        assert X.dtype == np.float64
        assert np.all(np.isfinite(X))
    assert np.all(np.abs(angles) <= np.pi)
    np.testing.assert_allclose(dihedrals[:, 0] ** 2 + dihedrals[:, 1] ** 2, 1.0, atol=1e-12)
    np.testing.assert_allclose(dihedrals[:, 2] ** 2 + dihedrals[:, 3] ** 2, 1.0, atol=1e-12)
    np.testing.assert_allclose(np.arctan2(dihedrals[:, 1], dihedrals[:, 0]), angles[:, 0])
    np.testing.assert_allclose(np.arctan2(dihedrals[:, 3], dihedrals[:, 2]), angles[:, 1])
    # One frame per picosecond.
    np.testing.assert_allclose(np.diff(times), 1.0)


def test_shipped_trajectory_is_alanine_dipeptide():
    angles = load_alanine_dipeptide(features="angles")
    # In vacuum, phi < 0 (C7eq and C5 basins) most of the time.
    assert np.mean(angles[:, 0] < 0) > 0.8
    # Heavy atoms are centered on every frame and superposed on the first one; bonds keep
    # their lengths (CA-CB, 0.15 nm).
    coordinates = load_alanine_dipeptide(features="coordinates").reshape(-1, 10, 3)
    np.testing.assert_allclose(coordinates.mean(axis=1), 0.0, atol=1e-4)
    ca_cb = np.linalg.norm(coordinates[:, 4] - coordinates[:, 5], axis=1)
    assert np.all((ca_cb > 0.13) & (ca_cb < 0.17))
    first = coordinates[0]
    rmsd = np.sqrt(((coordinates - first) ** 2).sum(axis=2).mean(axis=1))
    assert rmsd[0] < 1e-4
    # Superposition is optimal: rotating a frame does not bring it closer to the first.
    angle = 0.05
    rotation = np.array(
        [[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]
    )
    rotated = coordinates[1:50] @ rotation.T
    rmsd_rotated = np.sqrt(((rotated - first) ** 2).sum(axis=2).mean(axis=1))
    assert np.all(rmsd_rotated >= rmsd[1:50] - 1e-4)


@pytest.mark.parametrize("features", ["dihedrals", "angles", "coordinates"])
def test_loader_prefix_and_determinism(features):
    full = load_alanine_dipeptide(features=features)
    first = load_alanine_dipeptide(100, features=features)
    again = load_alanine_dipeptide(100, features=features)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, full[:100])
    # The caller cannot corrupt later calls by writing to the result.
    first[:] = 0.0
    np.testing.assert_array_equal(load_alanine_dipeptide(100, features=features), again)


def test_loader_does_not_touch_the_global_random_state():
    state = np.random.get_state()  # noqa: NPY002
    load_alanine_dipeptide(10)
    np.testing.assert_array_equal(np.random.get_state()[1], state[1])  # noqa: NPY002


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"features": "phi"}, "features must be one of"),
        ({"n_frames": 0}, "n_frames must be an integer >= 1"),
        ({"n_frames": 2.5}, "n_frames must be an integer >= 1"),
        ({"n_frames": True}, "n_frames must be an integer >= 1"),
    ],
)
def test_loader_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_alanine_dipeptide(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"simulate": True},
        {"random_state": 1},
        {"random_state": None},
        {"n_frames": N_SHIPPED + 1},
    ],
)
def test_simulation_without_openmm_raises_an_install_hint(monkeypatch, tmp_path, kwargs):
    # A None entry in sys.modules makes `import openmm` raise ImportError.
    monkeypatch.setitem(sys.modules, "openmm", None)
    kwargs = {"n_frames": 10, "data_home": tmp_path, **kwargs}
    with pytest.raises(ImportError, match=r"pip install sklearn_strata\[md\]") as info:
        load_alanine_dipeptide(**kwargs)
    assert "--no-deps openmmtools" in str(info.value)
    with pytest.raises(ImportError, match=r"pip install sklearn_strata\[md\]"):
        simulate_alanine_dipeptide(10)


def test_missing_openmmtools_raises_an_install_hint(monkeypatch):
    monkeypatch.setattr(_alanine.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match="--no-deps openmmtools"):
        _alanine._topology_files()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_frames": 0}, "n_frames"),
        ({"temperature": -1.0}, "temperature"),
        ({"time_step": 0.0}, "time_step"),
        ({"frame_interval": np.nan}, "frame_interval"),
        ({"friction": "1"}, "friction"),
        ({"equilibration": -1.0}, "equilibration"),
    ],
)
def test_simulator_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate_alanine_dipeptide(**{"n_frames": 5, **kwargs})


def test_tiny_simulation_is_deterministic():
    _skip_without_md()
    run = simulate_alanine_dipeptide(20, equilibration=2.0, random_state=7)
    again = simulate_alanine_dipeptide(20, equilibration=2.0, random_state=7)
    other = simulate_alanine_dipeptide(20, equilibration=2.0, random_state=8)
    assert run["angles"].shape == (20, 2)
    assert run["coordinates"].shape == (20, 10, 3)
    assert run["atom_names"].shape == (10,)
    np.testing.assert_allclose(run["times"], np.arange(1, 21))
    assert np.all(np.isfinite(run["coordinates"]))
    assert np.all(np.abs(run["angles"]) <= np.pi)
    np.testing.assert_array_equal(run["angles"], again["angles"])
    np.testing.assert_array_equal(run["coordinates"], again["coordinates"])
    assert not np.array_equal(run["angles"], other["angles"])
    # The first frame is the reference of the superposition.
    np.testing.assert_allclose(run["coordinates"][0].mean(axis=0), 0.0, atol=1e-12)


def test_loader_simulates_and_caches(tmp_path, monkeypatch):
    _skip_without_md()
    calls = []
    simulate = _alanine.simulate_alanine_dipeptide

    def counting(n_frames, **kwargs):
        calls.append(n_frames)
        return simulate(n_frames, equilibration=2.0, **kwargs)

    monkeypatch.setattr(_alanine, "simulate_alanine_dipeptide", counting)
    X, times = load_alanine_dipeptide(
        12, features="coordinates", random_state=5, data_home=tmp_path, return_times=True
    )
    assert X.shape == (12, 30) and times.shape == (12,)
    assert calls == [12]
    assert len(list(tmp_path.glob("sklearn_strata/*.npz"))) == 1
    # A stored run serves any shorter request without simulating again.
    np.testing.assert_array_equal(
        load_alanine_dipeptide(8, features="coordinates", random_state=5, data_home=tmp_path),
        X[:8],
    )
    assert calls == [12]
    # simulate=True always runs OpenMM; cache=False neither reads nor writes the store.
    again = load_alanine_dipeptide(
        12, features="coordinates", random_state=5, data_home=tmp_path, simulate=True
    )
    np.testing.assert_array_equal(again, X)
    load_alanine_dipeptide(4, random_state=6, data_home=tmp_path, cache=False)
    assert calls == [12, 12, 4]
    assert len(list(tmp_path.glob("sklearn_strata/*.npz"))) == 1


def test_default_estimator_reads_the_dihedral_torus_as_two_dimensional():
    # Real molecular dynamics: the backbone dihedrals (cos, sin of phi and psi) move on
    # the 2-dimensional (phi, psi) torus in R^4. Every 10th frame of the first 15 ns.
    import warnings

    from sklearn_strata import ScoreDimensionEstimator

    X = load_alanine_dipeptide(15000)[::10]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        estimator = ScoreDimensionEstimator(random_state=0).fit(X)
    assert np.mean(estimator.dimension_pw_ == 2) >= 0.95
    assert np.mean(estimator.dimension_confidence_ >= 0.5) >= 0.9

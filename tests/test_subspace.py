"""The principal-subspace split of ScoreDiffusionDensity: which directions the network learns."""

import numpy as np
import pytest
import torch

from sklearn_strata import ScoreDiffusionDensity
from sklearn_strata.datasets import make_string_in_doughnut
from sklearn_strata.diffusion._schedule import VPSchedule
from sklearn_strata.diffusion._subspace import principal_split


def _embedded(n_samples, span_dim, ambient_dim, noise, seed=0):
    rng = np.random.RandomState(seed)
    signal = rng.uniform(-1, 1, (n_samples, span_dim)) * np.linspace(1.0, 0.5, span_dim)
    basis, _ = np.linalg.qr(rng.randn(ambient_dim, span_dim))
    X = signal @ basis.T + noise * rng.randn(n_samples, ambient_dim)
    return X - X.mean(axis=0)


@pytest.mark.parametrize("noise", [0.0, 0.01, 0.05])
def test_isotropic_noise_tail_is_split_off(noise):
    Z = _embedded(2000, 3, 20, noise)
    basis, head_dim, tail_variance = principal_split(Z)
    assert head_dim == 3
    assert tail_variance == pytest.approx(noise**2, rel=0.2, abs=1e-12)
    np.testing.assert_allclose(basis.T @ basis, np.eye(20), atol=1e-10)


def test_full_dimensional_data_is_not_split():
    Z = _embedded(2000, 5, 5, 0.0)
    assert principal_split(Z)[1] == 5
    # One small trailing direction is signal, not an isotropic tail.
    Z = _embedded(2000, 3, 3, 0.0) * np.array([1.0, 1.0, 0.05]) @ np.eye(3)
    assert principal_split(Z)[1] == 3


def test_anisotropic_tail_is_kept():
    rng = np.random.RandomState(0)
    Z = rng.randn(2000, 6) * np.array([1.0, 0.9, 0.1, 0.05, 0.02, 0.01])
    assert principal_split(Z - Z.mean(axis=0))[1] == 6


def test_basis_turns_with_the_data():
    Z = _embedded(1500, 3, 8, 0.01)
    Q, _ = np.linalg.qr(np.random.RandomState(1).randn(8, 8))
    basis, head_dim, _ = principal_split(Z)
    rotated_basis, rotated_head, _ = principal_split(Z @ Q.T)
    assert rotated_head == head_dim
    np.testing.assert_allclose(rotated_basis[:, :head_dim], Q @ basis[:, :head_dim], atol=1e-6)


def test_tail_denoiser_is_the_exact_gaussian_shrinkage():
    X, _ = make_string_in_doughnut(400, ambient_dim=12, noise=0.02, random_state=0)
    model = ScoreDiffusionDensity(hidden_width=16, n_blocks=1, max_epochs=2, n_ode_steps=2,
                                  n_sampling_steps=4, random_state=0).fit(X)
    assert model.n_learned_directions_ == 3
    module = model._module
    k = module.head_dim
    Z = torch.as_tensor(model._standardise(X[:50]), dtype=torch.float32)
    level = torch.full((50,), 0.1)
    tail = (module.denoise(Z, level) @ module.basis)[:, k:]
    expected = (Z @ module.basis)[:, k:] * module.tail_variance / (module.tail_variance + 0.01)
    torch.testing.assert_close(tail, expected, rtol=1e-4, atol=1e-6)
    assert isinstance(module.schedule, VPSchedule)
    assert np.all(np.isfinite(model.score_samples(X[:20])))


def test_constant_coordinates_do_not_hide_the_noise_tail():
    Z = _embedded(2000, 3, 12, 0.01)
    with_constants = np.c_[Z, np.zeros((2000, 4))]
    _, head_dim, tail_variance = principal_split(with_constants)
    assert head_dim == 3
    assert tail_variance == pytest.approx(0.01**2, rel=0.2)
    # Without noise the constant directions are simply not learned.
    clean = np.c_[_embedded(2000, 3, 3, 0.0), np.zeros((2000, 4))]
    assert principal_split(clean)[1:] == (3, 0.0)



def test_noise_tail_close_below_a_small_stratum_is_split_off():
    # A large disk beside a small circle (scales 10:1) with noise 0.05: the circle's
    # third direction lies only about 5 times above the noise variance.
    from sklearn_strata.datasets import make_scaled_strata

    X, _ = make_scaled_strata(2000, ambient_dim=10, noise=0.05, random_state=0)
    Z = X - X.mean(axis=0)
    variances = np.sort(np.linalg.eigvalsh(Z.T @ Z / len(Z)))[::-1]
    assert 4.0 < variances[2] / variances[3] < 8.0
    _, head_dim, tail_variance = principal_split(Z)
    assert head_dim == 3
    assert tail_variance == pytest.approx(0.05**2, rel=0.2)


def test_flat_cube_below_a_large_stratum_is_not_taken_for_noise():
    # A 4-cube's directions are isotropic and 4-8 times below a sphere's, but vary
    # smoothly between neighbors: they are learned, not modelled as noise.
    rng = np.random.RandomState(0)
    sphere = rng.randn(1000, 3)
    sphere *= 1.3 / np.linalg.norm(sphere, axis=1, keepdims=True)
    cube = rng.uniform(-0.5, 0.5, (1000, 4))
    X = np.zeros((2000, 7))
    X[:1000, :3], X[1000:, 3:] = sphere, cube
    Z = X - X.mean(axis=0)
    variances = np.sort(np.linalg.eigvalsh(Z.T @ Z / len(Z)))[::-1]
    assert 4.0 < variances[2] / variances[3] < 8.0
    assert principal_split(Z)[1] == 7

"""Tests of ScoreDiffusionDensity beyond scikit-learn's estimator checks.

Reproducibility (refit, clone), the ``sample`` and ``score_field`` API,
the change of variables of the standardisation, batching, the Hutchinson divergence and
one accuracy test against a Gaussian mixture on ground-truth stratified data. Bad input,
unfitted use and persistence are tested for every estimator in ``test_bad_input.py`` and
``test_persistence.py``.
"""

import copy

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import train_test_split

from sklearn_strata import ScoreDiffusionDensity
from sklearn_strata.datasets import make_lollipop
from sklearn_strata.utils import _torch

from ._fast import FAST_DIFFUSION

# The fast configuration, a little larger, for everything but the accuracy test: the
# measured gaps of the Hutchinson test are this model's.
FAST = {
    **FAST_DIFFUSION,
    "hidden_width": 32,
    "max_epochs": 3,
    "n_ode_steps": 4,
    "n_sampling_steps": 10,
}
N_FEATURES = 10
NOISE_LEVEL = 0.1


def _fast(**params):
    return ScoreDiffusionDensity(**{**FAST, **params})


def _lollipop(n_samples, random_state=0):
    X, _ = make_lollipop(n_samples, ambient_dim=N_FEATURES, noise=0.01, random_state=random_state)
    return X


def _outputs(model, X):
    """Everything a fitted model computes, for exact comparisons."""
    return {
        "score_samples": model.score_samples(X),
        "sample": model.sample(50, random_state=0),
        "sample_seeded": model.sample(20, random_state=7),
        "score_field": model.score_field(X, NOISE_LEVEL),
    }


def _assert_same_outputs(got, expected):
    assert got.keys() == expected.keys()
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


@pytest.fixture(scope="module")
def X():
    return _lollipop(200)


@pytest.fixture(scope="module")
def fitted(X):
    return _fast().fit(X)


@pytest.fixture(scope="module")
def fitted_outputs(fitted, X):
    return _outputs(fitted, X)


# --- 1. Reproducibility ----------------------------------------------------------------------


def test_same_random_state_gives_identical_fits(X, fitted_outputs):
    _assert_same_outputs(_outputs(_fast().fit(X), X), fitted_outputs)


def test_clone_and_refit_is_identical(fitted, X, fitted_outputs):
    refitted = clone(fitted).fit(X)
    _assert_same_outputs(_outputs(refitted, X), fitted_outputs)
    # Refitting the same object again also reproduces it.
    _assert_same_outputs(_outputs(refitted.fit(X), X), fitted_outputs)


def test_different_random_state_gives_different_model(X, fitted, fitted_outputs):
    other = _fast(random_state=1).fit(X)
    assert not np.allclose(other.sample(50, random_state=0), fitted_outputs["sample"])
    assert not np.allclose(other.score_samples(X), fitted_outputs["score_samples"])
    # Same sampler seed, different weights: still different samples.
    assert not np.allclose(other.sample(20, random_state=7), fitted_outputs["sample_seeded"])


# --- 2. sample -------------------------------------------------------------------------------


def test_sample_reproducibility_and_shape(fitted):
    for n in (1, 13):
        draw = fitted.sample(n, random_state=3)
        assert draw.shape == (n, N_FEATURES)
        assert np.all(np.isfinite(draw))
        np.testing.assert_array_equal(fitted.sample(n, random_state=3), draw)
    # A RandomState instance in the same state gives the same draw.
    np.testing.assert_array_equal(
        fitted.sample(5, random_state=np.random.RandomState(4)),
        fitted.sample(5, random_state=np.random.RandomState(4)),
    )
    # Without random_state, every call draws afresh (numpy's global random state), as
    # KernelDensity.sample does.
    default = fitted.sample(8)
    assert not np.allclose(fitted.sample(8), default)
    assert default.shape == (8, N_FEATURES)
    # Different sampler seeds give different samples.
    assert not np.allclose(fitted.sample(8, random_state=1), fitted.sample(8, random_state=2))
    # Default call is its own seed, not one of the explicit ones above.
    assert fitted.sample().shape == (1, N_FEATURES)


def test_sample_accepts_numpy_integer(fitted):
    np.testing.assert_array_equal(
        fitted.sample(np.int64(4), random_state=0), fitted.sample(4, random_state=0)
    )


# --- 3. device -------------------------------------------------------------------------------


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_training_precision_is_reported_and_reproducible(X, fitted, fitted_outputs):
    native = _torch.native_bfloat16()
    assert fitted.training_precision_ == ("bfloat16" if native else "float32")
    models = {p: _fast(training_precision=p).fit(X) for p in ("float32", "bfloat16")}
    assert models["float32"].training_precision_ == "float32"
    assert models["bfloat16"].training_precision_ == "bfloat16"
    # The auto choice is one of the two, identically; the other trains differently.
    same = models["bfloat16" if native else "float32"]
    _assert_same_outputs(_outputs(same, X), fitted_outputs)
    other = models["float32" if native else "bfloat16"]
    assert not np.array_equal(other.score_samples(X), fitted_outputs["score_samples"])
    # bfloat16 changes the training, not the float32 inference: both models are finite.
    assert np.all(np.isfinite(models["bfloat16"].score_samples(X)))
    # The products of a training step really ran in bfloat16.
    module = models["bfloat16"].net_.module_
    seen = []
    hook = module.inp.register_forward_hook(lambda _m, _i, out: seen.append(out.dtype))
    module.train()
    with torch.random.fork_rng():  # the loss draws its noise
        module(torch.as_tensor(X[:8], dtype=torch.float32))
    module.eval()
    hook.remove()
    assert seen == [torch.bfloat16]


def test_cuda_unavailable_raises(X):
    with pytest.raises(ValueError, match="CUDA"):
        _fast(device="cuda").fit(X)


# --- 4. Change of variables ------------------------------------------------------------------

SCALE = 3.0


@pytest.fixture(scope="module")
def fitted_scaled(X):
    return _fast().fit(SCALE * X)


def test_scaling_changes_log_density_by_log_jacobian(fitted, fitted_scaled, X):
    # log p_{cX}(c x) = log p_X(x) - D log c, since standardisation removes the scale.
    diff = fitted_scaled.score_samples(SCALE * X) - fitted.score_samples(X)
    error = diff + N_FEATURES * np.log(SCALE)
    assert abs(error.mean()) < 1e-9
    assert np.abs(error).max() < 1e-8
    np.testing.assert_allclose(fitted_scaled.scale_, SCALE * fitted.scale_, rtol=1e-12)
    # min_noise_level_ is a float32 product in fit, hence the looser tolerance.
    np.testing.assert_allclose(
        fitted_scaled.min_noise_level_, SCALE * fitted.min_noise_level_, rtol=1e-6
    )
    # Samples are in the units of the training data.
    np.testing.assert_allclose(
        fitted_scaled.sample(50, random_state=0), SCALE * fitted.sample(50, random_state=0),
        atol=1e-9,
    )


def test_translation_does_not_change_log_density(fitted, X):
    shift = np.random.RandomState(1).normal(scale=5.0, size=N_FEATURES)
    shifted = _fast().fit(X + shift)
    np.testing.assert_allclose(
        shifted.score_samples(X + shift), fitted.score_samples(X), rtol=0, atol=1e-8
    )
    np.testing.assert_allclose(
        shifted.sample(50, random_state=0), fitted.sample(50, random_state=0) + shift,
        atol=1e-9,
    )


@given(
    scale=st.floats(0.1, 10.0),
    shift=st.lists(st.floats(-10.0, 10.0), min_size=N_FEATURES, max_size=N_FEATURES),
)
def test_affine_change_of_variables_property(fitted, X, scale, shift):
    shift = np.asarray(shift)
    moved = _fast().fit(scale * X + shift)
    error = (
        moved.score_samples(scale * X + shift)
        - fitted.score_samples(X)
        + N_FEATURES * np.log(scale)
    )
    assert abs(error.mean()) < 1e-6
    assert np.abs(error).max() < 1e-5


# --- 5. score_field --------------------------------------------------------------------------


def test_score_field_shape_and_finite(fitted, X):
    for level in (1e-3, NOISE_LEVEL, 10.0):
        field = fitted.score_field(X[:17], level)
        assert field.shape == (17, N_FEATURES)
        assert field.dtype == np.float64
        assert np.all(np.isfinite(field))
    # At a large blur the score points back towards the data: <s(x), x - mean> < 0 far out.
    far = fitted.mean_ + 20.0 * fitted.scale_ * np.eye(N_FEATURES)
    field = fitted.score_field(far, 10.0 * fitted.scale_)
    assert np.all(np.sum(field * (far - fitted.mean_), axis=1) < 0)


def test_score_field_units(fitted, fitted_scaled, X):
    for level in (0.05, NOISE_LEVEL, 1.0):
        expected = fitted.score_field(X, level) / SCALE
        got = fitted_scaled.score_field(SCALE * X, SCALE * level)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9 * np.abs(expected).max())


# --- 6. Batching -----------------------------------------------------------------------------


def _small_batches(monkeypatch, n_rows=97):
    """Make every inference batch hold ``n_rows`` rows (no working memory to spend)."""
    monkeypatch.setattr(_torch, "EFFICIENT_BATCH_MIB", 0)
    monkeypatch.setattr(_torch, "MIN_BATCH_ROWS", n_rows)


# score_samples runs the network in float32 (the ODE's state and integrals are float64):
# a float32 matrix product may round differently for another number of rows (another BLAS
# kernel), which moves a row's log-density by a few float32 ulps of the integrand.
# Measured (issue #13): up to 8e-6 nats (3e-7 relative) for calls of 1 to 7 rows against
# 300, up to 1.6e-5 nats for a few rows in batches of 97 against the default batches.
# 1e-4 nats is far below the solver's own error (about 1e-3).
FLOAT32_LOG_DENSITY = {"rtol": 1e-6, "atol": 1e-4}


def test_score_samples_does_not_depend_on_batching(fitted, monkeypatch):
    X_big = _lollipop(2500, random_state=1)
    whole = fitted.score_samples(X_big)
    assert whole.shape == (2500,)
    assert np.all(np.isfinite(whole))
    # Batches of 97 rows, cut off and on their boundaries, with single-row calls.
    _small_batches(monkeypatch)
    cuts = [0, 1, 2, 500, 1023, 1024, 1025, 2049, 2499, 2500]
    pieces = [fitted.score_samples(X_big[a:b]) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    np.testing.assert_allclose(np.concatenate(pieces), whole, **FLOAT32_LOG_DENSITY)
    # Rows are independent: a permutation permutes the output.
    order = np.random.RandomState(0).permutation(300)
    np.testing.assert_allclose(
        fitted.score_samples(X_big[order]), whole[order], **FLOAT32_LOG_DENSITY
    )


def test_score_field_does_not_depend_on_batching(fitted, monkeypatch):
    X_big = _lollipop(1500, random_state=2)
    whole = fitted.score_field(X_big, NOISE_LEVEL)
    _small_batches(monkeypatch)
    cuts = [(0, 1), (1, 1030), (1030, 1500)]
    pieces = [fitted.score_field(X_big[a:b], NOISE_LEVEL) for a, b in cuts]
    np.testing.assert_allclose(np.concatenate(pieces), whole, rtol=1e-4, atol=1e-4)


# --- 7. Hutchinson divergence ----------------------------------------------------------------


def test_hutchinson_divergence(fitted, X, fitted_outputs):
    # max_exact_divergence only matters at score time: same network, estimated divergence.
    hutchinson = copy.deepcopy(fitted).set_params(max_exact_divergence=0)
    estimate = hutchinson.score_samples(X)
    assert estimate.shape == (X.shape[0],)
    assert np.all(np.isfinite(estimate))
    np.testing.assert_array_equal(hutchinson.score_samples(X), estimate)
    # Fixed probes: each row does not depend on the other rows of the call.
    np.testing.assert_allclose(
        hutchinson.score_samples(X[:7]), estimate[:7], **FLOAT32_LOG_DENSITY
    )
    exact = fitted_outputs["score_samples"]
    assert not np.array_equal(estimate, exact)
    # One Rademacher probe is shared by every row, so the gap is mostly one common error.
    # Measured on this model: the mean gap over 300 probe seeds is -0.06 +- 0.03 (unbiased),
    # one probe's mean gap has sd 0.52 nats (99% within [-1.1, 1.4]), the worst row 2.4;
    # the integrated divergence itself is 7.0 nats, so dropping it or flipping its sign
    # fails. This seed's probe: mean gap 0.17, worst row 0.26 (0.14 and 0.28 with the
    # solver of issue #13; the statistics over probe seeds were measured before it).
    gap = estimate - exact
    assert abs(gap.mean()) < 1.5
    assert np.abs(gap).max() < 3.0
    assert np.corrcoef(estimate, exact)[0, 1] > 0.999
    # A refit with the same random_state draws the same probes.
    refit = _fast(max_exact_divergence=0).fit(X)
    np.testing.assert_array_equal(refit.score_samples(X), estimate)


# --- 8. Accuracy -----------------------------------------------------------------------------


def test_default_ode_solver_matches_a_fine_solve():
    # The default n_ode_steps against 400 steps of the same solver (issue #13), on a small
    # but trained model. Measured (40 steps): mean gap 0.002 nats, worst 0.005; 16 steps
    # give a mean of 0.018, 8 steps 0.25 (so the test sees a solver that is too coarse).
    X, _ = make_lollipop(700, ambient_dim=10, noise=0.01, random_state=0)
    model = ScoreDiffusionDensity(
        hidden_width=64, max_epochs=100, batch_size=128, lr=5e-3, random_state=0
    ).fit(X[:600])
    default = model.score_samples(X[600:])
    fine = copy.deepcopy(model).set_params(n_ode_steps=400)
    gap = np.abs(default - fine.score_samples(X[600:]))
    assert gap.mean() < 0.05
    assert gap.max() < 0.25


def test_accuracy_on_lollipop():
    X, _, space = make_lollipop(
        1500, ambient_dim=10, noise=0.01, random_state=0, return_space=True
    )
    X_train, X_test = train_test_split(X, test_size=0.2, random_state=0)

    mixtures = [GaussianMixture(k, random_state=0).fit(X_train) for k in range(1, 9)]
    gmm = min(mixtures, key=lambda mixture: mixture.bic(X_train))
    gmm_loglik = gmm.score(X_test)

    # Default architecture, 1600 steps at a higher learning rate instead of 4000 (time),
    # scored with the default ODE solver. Measured: GMM (BIC) 25.00 nats; this model 25.21.
    model = ScoreDiffusionDensity(max_epochs=400, lr=5e-3, random_state=0)
    model.fit(X_train)
    assert model.score(X_test) > gmm_loglik

    # Measured ratio of medians 1.36 (default model 1.34; 80 steps of training: 9.2).
    data_distance = np.median(space.distance(X_test))
    sample_distance = np.median(space.distance(model.sample(500, random_state=0)))
    assert sample_distance < 2.0 * data_distance

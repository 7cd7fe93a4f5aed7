"""Tests of ScoreDimensionEstimator beyond scikit-learn's common checks.

Bad input, unfitted use and pickling are tested for every estimator in
``test_bad_input.py`` and ``test_persistence.py``.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from sklearn_strata import ScoreDiffusionDensity, ScoreDimensionEstimator
from sklearn_strata.datasets import make_disjoint_circles

from ._fitted import circles_model

SMALL_MODEL = dict(hidden_width=64, n_blocks=2, max_epochs=40, batch_size=128)


def _circles(n=400, ambient_dim=4, seed=0):
    X, _ = make_disjoint_circles(n, ambient_dim=ambient_dim, random_state=seed)
    return X


def _small_estimator(**params):
    model = ScoreDiffusionDensity(**SMALL_MODEL, random_state=0)
    return ScoreDimensionEstimator(model, random_state=0, **params)


def test_outputs_and_attributes():
    X = _circles()
    estimator = _small_estimator().fit(X)
    assert estimator.dimension_pw_.shape == (X.shape[0],)
    assert set(np.unique(estimator.dimension_pw_)) <= set(range(X.shape[1] + 1))
    out = estimator.transform(X[:7])
    assert out.shape == (7, 1) and out.dtype == np.float64
    assert estimator.noise_level_ > 0
    curve = estimator.noise_level_curve_
    assert len(curve["levels"]) == len(curve["mean_dimension"]) == len(curve["stability"]) + 1
    assert curve["levels"][0] <= estimator.noise_level_ <= curve["levels"][-1]
    frames = estimator.tangent_spaces(X[:5])
    assert frames.shape == (5, 4, 4)
    gram = np.einsum("nij,nik->njk", frames, frames)
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(4), gram.shape), atol=1e-5)


# The tests that read circles_model() share one xdist worker (``--dist loadgroup``), so
# that its fit is made once.
@pytest.mark.xdist_group("circles")
@pytest.mark.parametrize("method", ["jacobian", "flipd", "normal_bundle"])
def test_every_method_reads_circles_as_one_dimensional(method):
    X, model = circles_model()
    estimator = ScoreDimensionEstimator(model, method=method, random_state=0).fit(X)
    dims = estimator.dimension_pw_
    assert np.mean(dims == 1) >= 0.95, f"{method}: {np.bincount(dims.astype(int))}"


def test_reuses_a_fitted_model_and_clones_an_unfitted_one():
    X = _circles()
    model = ScoreDiffusionDensity(**SMALL_MODEL, random_state=0).fit(X)
    reused = ScoreDimensionEstimator(model, noise_level=0.2).fit(X)
    assert reused.score_model_ is model
    unfitted = ScoreDiffusionDensity(**SMALL_MODEL, random_state=0)
    fitted = ScoreDimensionEstimator(unfitted, noise_level=0.2).fit(X)
    assert fitted.score_model_ is not unfitted
    assert not hasattr(unfitted, "net_")
    np.testing.assert_array_equal(fitted.dimension_pw_, reused.dimension_pw_)


def test_same_seed_same_dimensions_across_refit_and_clone():
    X = _circles()
    first = _small_estimator(method="normal_bundle").fit(X)
    second = _small_estimator(method="normal_bundle").fit(X)
    np.testing.assert_array_equal(first.dimension_pw_, second.dimension_pw_)
    cloned = clone(first).fit(X)
    np.testing.assert_array_equal(first.dimension_pw_, cloned.dimension_pw_)


@settings(max_examples=3)
@given(
    scale=st.floats(0.05, 20.0),
    shift=st.floats(-100.0, 100.0),
)
def test_invariant_to_translation_and_uniform_scaling(scale, shift):
    X = _circles(300)
    base = _small_estimator().fit(X)
    moved = _small_estimator().fit(scale * X + shift)
    # The internal standardisation makes both problems the same up to float rounding.
    agreement = np.mean(base.dimension_pw_ == moved.dimension_pw_)
    assert agreement >= 0.98
    assert moved.noise_level_ == pytest.approx(scale * base.noise_level_, rel=1e-3)


@pytest.mark.xdist_group("circles")
def test_invariant_to_rotation_and_row_order():
    X, model = circles_model()
    rng = np.random.RandomState(0)
    rotation, _ = np.linalg.qr(rng.normal(size=(X.shape[1], X.shape[1])))
    order = rng.permutation(X.shape[0])
    base = ScoreDimensionEstimator(model, random_state=0).fit(X)
    moved = ScoreDimensionEstimator(random_state=0).fit((X @ rotation)[order])
    # A rotated, reordered training set trains a different network: the estimates agree
    # point by point, not bit by bit.
    assert np.mean(moved.dimension_pw_ == base.dimension_pw_[order]) >= 0.95
    assert np.mean(moved.dimension_pw_ == 1) >= 0.95


def test_score_model_fitted_on_other_features_raises():
    X = _circles()
    model = ScoreDiffusionDensity(**SMALL_MODEL, random_state=0).fit(X[:, :3])
    with pytest.raises(ValueError, match="features"):
        ScoreDimensionEstimator(model).fit(X)

"""Tests of ScoreDimensionEstimator beyond scikit-learn's common checks."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

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


def test_same_seed_same_dimensions_across_refit_clone_and_pickle():
    X = _circles()
    first = _small_estimator(method="normal_bundle").fit(X)
    second = _small_estimator(method="normal_bundle").fit(X)
    np.testing.assert_array_equal(first.dimension_pw_, second.dimension_pw_)
    cloned = clone(first).fit(X)
    np.testing.assert_array_equal(first.dimension_pw_, cloned.dimension_pw_)
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(first.transform(X), restored.transform(X))
    np.testing.assert_array_equal(first.tangent_spaces(X[:4]), restored.tangent_spaces(X[:4]))


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


def test_bad_input_and_parameters():
    X = _circles()
    with pytest.raises(NotFittedError):
        ScoreDimensionEstimator().transform(X)
    with pytest.raises(InvalidParameterError):
        ScoreDimensionEstimator(method="pca").fit(X)
    with pytest.raises(InvalidParameterError):
        ScoreDimensionEstimator(noise_level=-1.0).fit(X)
    with pytest.raises(ValueError, match="NaN"):
        X_nan = X.copy()
        X_nan[3, 1] = np.nan
        _small_estimator().fit(X_nan)
    estimator = _small_estimator(noise_level=0.2).fit(X)
    with pytest.raises(ValueError, match="features"):
        estimator.transform(X[:, :3])
    model = ScoreDiffusionDensity(**SMALL_MODEL, random_state=0).fit(X[:, :3])
    with pytest.raises(ValueError, match="features"):
        ScoreDimensionEstimator(model).fit(X)


def test_does_not_modify_input():
    X = _circles()
    original = X.copy()
    estimator = _small_estimator(noise_level=0.2).fit(X)
    estimator.transform(X)
    estimator.tangent_spaces(X[:3])
    np.testing.assert_array_equal(X, original)

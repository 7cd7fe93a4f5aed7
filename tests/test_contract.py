"""The contract between the estimators: seeds passed down, explicit reuse, public methods.

Each test here failed before the contract was fixed (see the "One contract between the
estimators" issue): an unseeded nested fit, a fitted estimator's per-row attributes read
on other data, and one estimator reaching into another's private members.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.frozen import FrozenEstimator

from sklearn_strata import (
    ScoreDiffusionDensity,
    ScoreDimensionEstimator,
    StratifiedVAEMixture,
    StratumCounter,
)
from sklearn_strata.dimension import _estimator as dimension_module
from sklearn_strata.utils import spawn_seeds

from ._fast import FAST_DIFFUSION, FAST_VAE, NOISE_LEVEL, training_data

UNSEEDED_DIFFUSION = {k: v for k, v in FAST_DIFFUSION.items() if k != "random_state"}


@pytest.fixture
def fast_default_model(monkeypatch):
    """Make the default score model of ScoreDimensionEstimator a fast one (same seeding)."""
    monkeypatch.setattr(
        dimension_module.ScoreDimensionEstimator,
        "_default_model",
        lambda self, seed: ScoreDiffusionDensity(**UNSEEDED_DIFFUSION, random_state=seed),
    )


def _nested_model(counter):
    return counter.dimension_estimator_.score_model_


def test_stratum_counter_random_state_seeds_its_default_nested_estimators(fast_default_model):
    X = training_data(60, 3)
    first = StratumCounter(random_state=0).fit(X)
    again = StratumCounter(random_state=0).fit(X)
    other = StratumCounter(random_state=1).fit(X)
    np.testing.assert_array_equal(
        _nested_model(first).score_samples(X), _nested_model(again).score_samples(X)
    )
    np.testing.assert_array_equal(first.labels_, again.labels_)
    assert not np.allclose(
        _nested_model(first).score_samples(X), _nested_model(other).score_samples(X)
    )
    assert _nested_model(first).random_state is not None


def test_stratum_counter_seeds_an_unseeded_unfitted_dimension_estimator():
    X = training_data(60, 3)
    dimension = ScoreDimensionEstimator(
        ScoreDiffusionDensity(**UNSEEDED_DIFFUSION), noise_level=NOISE_LEVEL
    )
    fits = [StratumCounter(dimension, random_state=0).fit(X) for _ in range(2)]
    np.testing.assert_array_equal(
        _nested_model(fits[0]).sample(5, random_state=0),
        _nested_model(fits[1]).sample(5, random_state=0),
    )
    # The user's estimator is cloned, never modified.
    assert dimension.random_state is None and dimension.score_model.random_state is None


def test_vae_mixture_auto_components_are_reproducible_through_a_real_counter():
    X = np.r_[training_data(40, 3, seed=0), training_data(40, 3, seed=1) + 6.0]
    counter = StratumCounter(
        ScoreDimensionEstimator(
            ScoreDiffusionDensity(**UNSEEDED_DIFFUSION), noise_level=NOISE_LEVEL
        ),
        min_stratum_size=5,
    )
    params = dict(FAST_VAE, latent_dims="auto", stratum_counter=counter, max_epochs=2)
    first = StratifiedVAEMixture(**params).fit(X)
    again = StratifiedVAEMixture(**params).fit(X)
    np.testing.assert_array_equal(first.score_samples(X), again.score_samples(X))
    np.testing.assert_array_equal(
        first.stratum_counter_.labels_, again.stratum_counter_.labels_
    )
    assert counter.random_state is None


class _Halves(BaseEstimator):
    """A fitted dimension estimator whose per-row attribute describes its own data only."""

    def fit(self, X, y=None):
        self.n_features_in_ = X.shape[1]
        self.dimension_pw_ = np.ones(X.shape[0])
        return self

    def transform(self, X):
        return np.where(np.asarray(X)[:, 0] > 0, 2.0, 0.0)[:, None]


@pytest.mark.parametrize("wrap", [lambda est: est, FrozenEstimator], ids=["fitted", "frozen"])
def test_fitted_dimension_estimator_is_applied_to_the_new_data(wrap):
    X_fit = training_data(50, 2, seed=0)
    X_other = training_data(50, 2, seed=1)  # same number of rows, different points
    estimator = wrap(_Halves().fit(X_fit))
    counter = StratumCounter(estimator, tangent_split=False, min_stratum_size=1).fit(X_other)
    expected = np.where(X_other[:, 0] > 0, 2.0, 0.0)
    np.testing.assert_array_equal(counter.dimension_pw_, expected)


class _PublicOnly:
    """Exposes exactly the public API of a fitted ScoreDiffusionDensity, nothing private."""

    _public = ("fit", "score_field", "denoise", "denoiser_jacobian", "n_features_in_",
               "scale_", "min_noise_level_", "net_", "random_state", "get_params",
               "__sklearn_tags__")

    def __init__(self, model):
        self._model = model

    def __sklearn_is_fitted__(self):
        return True

    def __getattr__(self, name):
        if name not in self._public:
            raise AttributeError(name)
        return getattr(self._model, name)


@pytest.mark.parametrize("method", ["jacobian", "flipd", "normal_bundle"])
def test_dimension_estimator_uses_only_public_methods_of_the_score_model(method):
    X = training_data(60, 3)
    model = ScoreDiffusionDensity(**FAST_DIFFUSION).fit(X)
    direct = ScoreDimensionEstimator(model, method=method, random_state=0).fit(X)
    public = ScoreDimensionEstimator(_PublicOnly(model), method=method, random_state=0).fit(X)
    np.testing.assert_array_equal(direct.dimension_pw_, public.dimension_pw_)
    np.testing.assert_array_equal(direct.transform(X[:9]), public.transform(X[:9]))


def test_no_module_reaches_into_another_estimators_private_members():
    package = Path(__file__).resolve().parents[1] / "sklearn_strata"
    nested = r"(score_model_?|dimension_estimator_?|stratum_counter_?|counter|model)"
    pattern = re.compile(rf"\b{nested}\._[a-z]\w*")
    offenders = [
        f"{path.relative_to(package)}:{number}: {line.strip()}"
        for path in package.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line) and "self._" not in pattern.search(line).group(0)
    ]
    assert not offenders, "\n".join(offenders)


def test_denoise_and_its_jacobian_follow_the_score_field():
    X = training_data(30, 3)
    model = ScoreDiffusionDensity(**FAST_DIFFUSION).fit(X)
    level = 0.4
    np.testing.assert_allclose(
        model.denoise(X, level), X + level**2 * model.score_field(X, level), atol=1e-5
    )
    jacobian = model.denoiser_jacobian(X[:4], level)
    step = 1e-3
    for k in range(X.shape[1]):
        shift = np.zeros(X.shape[1])
        shift[k] = step
        central = (model.denoise(X[:4] + shift, level) - model.denoise(X[:4] - shift, level))
        np.testing.assert_allclose(jacobian[:, :, k], central / (2 * step), atol=2e-3)


def test_spawned_seed_streams_are_distinct_and_reproducible():
    seeds = spawn_seeds(0, 4)
    assert len(set(seeds)) == 4
    assert seeds == spawn_seeds(0, 4)
    assert seeds != spawn_seeds(1, 4)

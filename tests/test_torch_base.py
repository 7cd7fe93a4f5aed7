"""What the two torch-backed estimators share through ``BaseTorchEstimator``.

The shared parameters and their constraints, keyword-only construction, the training
diagnostics ``loss_curve_`` and ``n_iter_`` (as on ``MLPRegressor``), and ``score`` as
the mean of ``score_samples``.
"""

import inspect

import numpy as np
import pytest

from sklearn_strata import ScoreDiffusionDensity, StratifiedVAEMixture
from sklearn_strata.diffusion import _budget
from sklearn_strata.utils import BaseTorchEstimator, draw_seed, spawn_seeds

from ._fast import make_estimator, training_data

CLASSES = {"diffusion": ScoreDiffusionDensity, "vae": StratifiedVAEMixture}


@pytest.mark.parametrize("name", CLASSES)
def test_estimators_share_the_base_parameters(name):
    cls = CLASSES[name]
    assert issubclass(cls, BaseTorchEstimator)
    params = inspect.signature(cls).parameters
    for shared in BaseTorchEstimator._parameter_constraints:
        assert shared in params, shared
        assert shared in cls._parameter_constraints, shared


@pytest.mark.parametrize("name", CLASSES)
def test_init_is_keyword_only(name):
    positional = [
        p.name
        for p in inspect.signature(CLASSES[name]).parameters.values()
        if p.kind is not inspect.Parameter.KEYWORD_ONLY
    ]
    # like GaussianMixture's n_components, the VAE's number and dimensions of components
    # may be given first
    assert positional == (["latent_dims"] if name == "vae" else [])


def test_diffusion_rejects_positional_parameters():
    with pytest.raises(TypeError):
        ScoreDiffusionDensity(16)


@pytest.mark.parametrize("name", CLASSES)
def test_loss_curve_and_n_iter(name):
    X = training_data()
    estimator = make_estimator(name, max_epochs=4).fit(X)
    assert estimator.n_iter_ == 4
    assert len(estimator.loss_curve_) == estimator.n_iter_
    assert all(isinstance(loss, float) for loss in estimator.loss_curve_)
    assert np.all(np.isfinite(estimator.loss_curve_))
    history = estimator.net_.history[:, "train_loss"]
    np.testing.assert_array_equal(estimator.loss_curve_, history)
    # a refit replaces them
    estimator.set_params(max_epochs=2).fit(X)
    assert estimator.n_iter_ == 2 and len(estimator.loss_curve_) == 2


def test_diffusion_n_iter_with_auto_epochs(monkeypatch):
    monkeypatch.setattr(_budget, "TARGET_TRAIN_STEPS", 12)
    estimator = make_estimator("diffusion", max_epochs="auto", batch_size=10)
    estimator.fit(training_data(40))
    # "auto": the epochs that make about TARGET_TRAIN_STEPS steps, 4 per epoch here, and
    # LONG_STAGE_FACTOR times as many in a second stage
    stages = estimator.n_training_stages_
    assert stages in (1, 2)
    expected = 3 * (1 if stages == 1 else 1 + _budget.LONG_STAGE_FACTOR)
    assert estimator.n_iter_ == len(estimator.loss_curve_) == expected


@pytest.mark.parametrize("name", CLASSES)
def test_score_is_the_mean_log_density(name):
    X = training_data()
    estimator = make_estimator(name).fit(X)
    assert isinstance(estimator.score(X), float)
    assert estimator.score(X) == pytest.approx(np.mean(estimator.score_samples(X)), rel=1e-12)


def test_diffusion_probes_and_sampler_have_spawned_streams():
    # The model's seed is draw_seed(random_state), as it was; the Hutchinson probes draw
    # from a SeedSequence child of it, never from an offset.
    model = make_estimator("diffusion").fit(training_data())
    seed = draw_seed(model.random_state)
    assert [model._probe_seed] == spawn_seeds(seed, 1) == spawn_seeds(seed, 2)[:1]
    assert model._probe_seed != seed
    np.testing.assert_array_equal(model.sample(5, random_state=0), model.sample(5, random_state=0))

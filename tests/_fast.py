"""Tiny configurations of every public estimator, for the reliability tests.

They test the API contract (validation, persistence, interruption), not accuracy: a fit
takes a fraction of a second on one core.
"""

import numpy as np

from sklearn_strata import (
    ScoreDiffusionDensity,
    ScoreDimensionEstimator,
    StratifiedVAEMixture,
    StratumCounter,
)

# lr below the default (made for batches of 2048): two full-batch steps at 8e-3 give
# log-densities in the hundreds, whose float32 rounding across batch shapes (a few units
# in the last place, see the user guide's "Scale and batching") then exceeds the 1e-7
# tolerance of scikit-learn's subset-invariance check.
FAST_DIFFUSION = dict(
    hidden_width=16, n_blocks=1, max_epochs=2, lr=2e-3, n_sampling_steps=4, n_ode_steps=2,
    random_state=0,
)
FAST_VAE = dict(
    latent_dims=[1],
    hidden_dims=(8,),
    max_epochs=3,
    batch_size=32,
    n_importance_samples=4,
    random_state=0,
)
NOISE_LEVEL = 0.3

ESTIMATOR_NAMES = ["diffusion", "dimension", "counter", "vae"]


def make_estimator(name, **params):
    """A fresh, unfitted estimator in its fast configuration."""
    if name == "diffusion":
        return ScoreDiffusionDensity(**{**FAST_DIFFUSION, **params})
    if name == "dimension":
        params = {
            "score_model": ScoreDiffusionDensity(**FAST_DIFFUSION),
            "noise_level": NOISE_LEVEL,
            "random_state": 0,
            **params,
        }
        return ScoreDimensionEstimator(**params)
    if name == "counter":
        return StratumCounter(**{"dimension_estimator": make_estimator("dimension"), **params})
    if name == "vae":
        return StratifiedVAEMixture(**{**FAST_VAE, **params})
    raise ValueError(name)


# Every method that takes new points ``X`` after fit, by estimator.
PREDICT_METHODS = {
    "diffusion": {
        "score_samples": lambda est, X: est.score_samples(X),
        "score": lambda est, X: est.score(X),
        "score_field": lambda est, X: est.score_field(X, NOISE_LEVEL),
    },
    "dimension": {
        "transform": lambda est, X: est.transform(X),
        "tangent_spaces": lambda est, X: est.tangent_spaces(X),
    },
    "counter": {
        "predict": lambda est, X: est.predict(X),
    },
    "vae": {
        "score_samples": lambda est, X: est.score_samples(X),
        "score": lambda est, X: est.score(X),
        "predict": lambda est, X: est.predict(X),
        "predict_proba": lambda est, X: est.predict_proba(X),
    },
}

PREDICT_CASES = [
    (name, method) for name in ESTIMATOR_NAMES for method in PREDICT_METHODS[name]
]


def training_data(n_samples=40, n_features=3, seed=0):
    """A small Gaussian cloud."""
    return np.random.RandomState(seed).randn(n_samples, n_features)


def outputs(estimator, X):
    """Everything a fitted estimator computes on ``X``, for exact comparisons."""
    methods = PREDICT_METHODS[_name(estimator)]
    out = {method: np.asarray(call(estimator, X)) for method, call in methods.items()}
    if hasattr(estimator, "sample"):
        sample = estimator.sample(5, random_state=3)
        if isinstance(sample, tuple):
            out["sample"], out["sample_labels"] = sample
        else:
            out["sample"] = sample
    for attribute in ("labels_", "dimension_pw_", "weights_"):
        if hasattr(estimator, attribute):
            out[attribute] = np.asarray(getattr(estimator, attribute))
    return out


def assert_same_outputs(got, expected):
    assert got.keys() == expected.keys()
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


def _name(estimator):
    return {
        ScoreDiffusionDensity: "diffusion",
        ScoreDimensionEstimator: "dimension",
        StratumCounter: "counter",
        StratifiedVAEMixture: "vae",
    }[type(estimator)]

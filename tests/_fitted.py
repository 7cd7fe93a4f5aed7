"""Fitted models on the ground-truth presets, shared by the accuracy tests.

A full diffusion fit takes tens of seconds on one core, so each preset is fitted once per
test process and reused by the dimension and strata tests.
"""

import warnings
from functools import cache

from sklearn_strata import ScoreDiffusionDensity, ScoreDimensionEstimator
from sklearn_strata import datasets as strata_datasets


def preset(name, n_samples=3000, ambient_dim=10, noise=0.0, seed=0):
    """``(X, y, space)`` of ``make_<name>`` with a fixed seed."""
    # functools.cache keys f(a) and f(a, noise=0.0) apart: the cached functions take
    # positional arguments only, so every spelling of a call shares one fit.
    return _preset(name, n_samples, ambient_dim, float(noise), seed)


@cache
def _preset(name, n_samples, ambient_dim, noise, seed):
    make = getattr(strata_datasets, f"make_{name}")
    return make(n_samples, ambient_dim=ambient_dim, noise=noise, random_state=seed,
                return_space=True)


def dimension_estimator(name, n_samples=3000, ambient_dim=10, noise=0.0, seed=0):
    """A ``ScoreDimensionEstimator`` with default parameters fitted on a preset."""
    return _dimension_estimator(name, n_samples, ambient_dim, float(noise), seed)


@cache
def _dimension_estimator(name, n_samples, ambient_dim, noise, seed):
    X, _, _ = preset(name, n_samples, ambient_dim, noise, seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator = ScoreDimensionEstimator(random_state=seed).fit(X)
    FIT_WARNINGS[(name, n_samples, ambient_dim, noise, seed)] = [
        str(warning.message) for warning in caught if warning.category is UserWarning
    ]
    return estimator


# The UserWarnings of each preset's fit, keyed like ``dimension_estimator``'s arguments.
FIT_WARNINGS = {}


@cache
def circles_model():
    """Two disjoint circles in R^3 and a default ``ScoreDiffusionDensity`` fitted on them."""
    X, _ = strata_datasets.make_disjoint_circles(600, ambient_dim=3, random_state=0)
    return X, ScoreDiffusionDensity(random_state=0).fit(X)

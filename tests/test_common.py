"""scikit-learn's estimator checks over every public estimator of sklearn_strata."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_strata import (
    ScoreDiffusionDensity,
    ScoreDimensionEstimator,
    StratifiedVAEMixture,
    StratumCounter,
)

# Small, fast configurations: the checks test the API contract, not accuracy.
FAST_DIFFUSION = dict(hidden_width=16, n_blocks=1, max_epochs=2, n_sampling_steps=4, n_ode_steps=2)


def _fast_dimension_estimator():
    return ScoreDimensionEstimator(ScoreDiffusionDensity(**FAST_DIFFUSION), noise_level=0.3)


ESTIMATORS = [
    ScoreDiffusionDensity(**FAST_DIFFUSION),
    _fast_dimension_estimator(),
    StratumCounter(_fast_dimension_estimator()),
    StratifiedVAEMixture(
        latent_dims=[1], hidden_dims=(8,), max_epochs=3, batch_size=32, n_importance_samples=4
    ),
]

# Checks expected to fail, with the reason; keyed by estimator class name.
EXPECTED_FAILED_CHECKS = {
    "ScoreDimensionEstimator": {
        "check_pipeline_consistency": (
            "with the 2-epoch model of these checks, rounded dimensions near a reading's "
            "threshold differ between the pipeline and the direct fit; open issue, see note"
        ),
    },
}


def _expected_failures(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)

"""scikit-learn's estimator checks over every public estimator of sklearn_strata."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_strata import (
    ScoreDiffusionDensity,
    ScoreDimensionEstimator,
    StratifiedVAEMixture,
    StratumCounter,
)

from ._fast import FAST_DIFFUSION, FAST_VAE, NOISE_LEVEL

# The fast configurations (the checks test the API contract, not accuracy), left unseeded:
# the checks set random_state themselves where they need it. They train in float32, so
# that the checks see the same models on every machine (the default precision depends on
# the CPU).
UNSEEDED = {"random_state": None}
DIFFUSION = {**FAST_DIFFUSION, **UNSEEDED, "training_precision": "float32"}


def _fast_dimension_estimator():
    return ScoreDimensionEstimator(ScoreDiffusionDensity(**DIFFUSION), noise_level=NOISE_LEVEL)


ESTIMATORS = [
    ScoreDiffusionDensity(**DIFFUSION),
    _fast_dimension_estimator(),
    StratumCounter(_fast_dimension_estimator()),
    StratifiedVAEMixture(**{**FAST_VAE, **UNSEEDED}),
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

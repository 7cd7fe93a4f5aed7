"""Local intrinsic dimension from the score field of a diffusion model."""

from ._estimator import ScoreDimensionEstimator

__all__ = ["ScoreDimensionEstimator"]

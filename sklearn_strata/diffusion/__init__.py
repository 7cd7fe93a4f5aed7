"""Score-based diffusion density model: the engine that gives density, samples and scores."""

from ._density import ScoreDiffusionDensity

__all__ = ["ScoreDiffusionDensity"]

"""sklearn_strata: stratified learning for scikit-learn.

Data that lies on a union of manifolds of different dimensions (strata) is learned with
four estimators that share one pipeline::

    X -> ScoreDiffusionDensity -> ScoreDimensionEstimator -> StratumCounter
    X -> StratifiedVAEMixture (latent dimensions from StratumCounter)

Ground-truth stratified data sets live in :mod:`sklearn_strata.datasets`.
"""

__version__ = "0.1.0.dev0"

from .diffusion import ScoreDiffusionDensity
from .dimension import ScoreDimensionEstimator
from .mixture import StratifiedVAEMixture
from .strata import StratumCounter

__all__ = [
    "ScoreDiffusionDensity",
    "ScoreDimensionEstimator",
    "StratifiedVAEMixture",
    "StratumCounter",
    "__version__",
]

"""Mixture models over strata: a dimension-aware mixture of VAEs, and sieve selection."""

from ._selection import one_standard_error_refit
from ._vae_mixture import StratifiedVAEMixture

__all__ = ["StratifiedVAEMixture", "one_standard_error_refit"]

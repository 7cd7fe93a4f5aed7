"""Mixture models over strata: a dimension-aware mixture of VAEs."""

from ._vae_mixture import StratifiedVAEMixture

__all__ = ["StratifiedVAEMixture"]

"""Internal utilities shared by the estimators."""

from ._base import BaseTorchEstimator
from ._nested import fit_nested, is_fitted
from ._skorch import LossModuleNet, fit_loss_module
from ._torch import (
    batch_rows,
    draw_seed,
    fill_in_batches,
    iter_batches,
    make_generator,
    resolve_device,
    seeded_construction,
    spawn_seeds,
    to_tensor,
)

__all__ = [
    "BaseTorchEstimator",
    "LossModuleNet",
    "batch_rows",
    "draw_seed",
    "fill_in_batches",
    "fit_loss_module",
    "fit_nested",
    "is_fitted",
    "iter_batches",
    "make_generator",
    "resolve_device",
    "seeded_construction",
    "spawn_seeds",
    "to_tensor",
]

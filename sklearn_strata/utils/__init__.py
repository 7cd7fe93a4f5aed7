"""Utilities shared by the estimators.

Only :func:`apply_blockwise` is public (applying a fitted estimator to a dask array);
the other names are internal.
"""

from ._base import BaseTorchEstimator
from ._blockwise import apply_blockwise
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
    "apply_blockwise",
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

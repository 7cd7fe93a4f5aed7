"""Three readings of the local dimension from a learned denoiser at smoothing level ``s``.

With Tweedie's formula the score of the blurred data is ``s(y) = (D(y) - y) / s**2`` where
``D`` is the denoiser, so ``-s**2 grad s(y) = I - grad D(y)``. Near a stratum of dimension
``d`` the symmetric part of ``grad D`` is close to the orthogonal projector onto its tangent
space: ``d`` eigenvalues near 1 and ``D - d`` near 0.
"""

import torch
from torch.func import jacrev, vmap


def denoiser_jacobian(model, y, level):
    """Jacobians ``grad D(y_i)`` of shape (n, D, D) at a scalar smoothing level."""
    levels = torch.full((1,), float(level), device=y.device, dtype=y.dtype)

    def denoise_one(point):
        return model.denoise(point[None], levels)[0]

    return vmap(jacrev(denoise_one))(y)


def tangent_spectrum(jacobian):
    """Eigenvalues (descending) and eigenvectors of the symmetrised Jacobians."""
    sym = 0.5 * (jacobian + jacobian.transpose(1, 2))
    values, vectors = torch.linalg.eigh(sym)
    return values.flip(-1), vectors.flip(-1)


def jacobian_rank_dimension(model, y, level, threshold=0.5):
    """``#{eigenvalues of sym grad D > threshold}`` for each row of ``y``, and its margin.

    The margin is the distance of the eigenvalue closest to the threshold: near 1/2 the
    reading is clean (every eigenvalue near 0 or 1), near 0 it is about to flip.
    """
    values, _ = tangent_spectrum(denoiser_jacobian(model, y, level))
    margin = (values - threshold).abs().min(dim=1).values
    return (values > threshold).sum(dim=1).to(y.dtype), margin


def flipd_dimension(model, y, level):
    """FLIPD: ``D + s**2 (tr grad score + ||score||**2) = tr grad D + ||D(y) - y||**2 / s**2``.

    Returns the continuous estimate and its margin, the distance to the nearest rounding
    boundary (half-integer).
    """
    levels = torch.full((y.shape[0],), float(level), device=y.device, dtype=y.dtype)
    trace = torch.diagonal(denoiser_jacobian(model, y, level), dim1=1, dim2=2).sum(dim=1)
    residual = ((model.denoise(y, levels) - y) ** 2).sum(dim=1) / float(level) ** 2
    estimate = trace + residual
    return estimate, 0.5 - (estimate - torch.round(estimate)).abs()


def normal_bundle_dimension(model, y, level, directions, threshold=0.1):
    """Normal-bundle reading (Stanczuk et al.): rank of scores at ``y + s z_k``.

    ``directions`` holds the ``K`` standard normal perturbations ``z_k``, shape (K, D).

    The scores of ``n_probes`` perturbed copies are stacked; rescaled by ``s / sqrt(K)``,
    their squared singular values are ~1 along normal directions and ~``s**2`` along
    tangent ones. The count of values above ``threshold`` is the normal dimension; the
    margin is the distance of the value closest to the threshold.
    """
    n, n_features = y.shape
    n_probes = directions.shape[0]
    # The same perturbations at every point: a point's reading depends on it alone, not on
    # the batch it is computed in.
    probes = (y[:, None, :] + level * directions[None]).reshape(-1, n_features)
    levels = torch.full((probes.shape[0],), float(level), device=y.device, dtype=y.dtype)
    scores = (model.denoise(probes, levels) - probes) / float(level) ** 2
    scores = scores.reshape(n, n_probes, n_features) * (float(level) / n_probes**0.5)
    energy = torch.linalg.svdvals(scores) ** 2
    margin = (energy - threshold).abs().min(dim=1).values.clamp(max=0.5)
    return n_features - (energy > threshold).sum(dim=1).to(y.dtype), margin

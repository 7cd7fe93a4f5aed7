"""Three readings of the local dimension from a learned denoiser at smoothing level ``s``.

With Tweedie's formula the score of the blurred data is ``s(y) = (D(y) - y) / s**2`` where
``D`` is the denoiser, so ``-s**2 grad s(y) = I - grad D(y)``. Near a stratum of dimension
``d`` the symmetric part of ``grad D`` is close to the orthogonal projector onto its tangent
space: ``d`` eigenvalues near 1 and ``D - d`` near 0.

Every reading goes through the public methods of the score model (``denoise`` and
``denoiser_jacobian``), in the units of ``X``: the Jacobian is dimensionless and the other
quantities are ratios of lengths to the level.
"""

import numpy as np


def tangent_spectrum(jacobian):
    """Eigenvalues (descending) and eigenvectors of the symmetrised Jacobians.

    Parameters
    ----------
    jacobian : ndarray of shape (n, D, D)

    Returns
    -------
    values : ndarray of shape (n, D)
    vectors : ndarray of shape (n, D, D)
        Columns ordered as ``values``.
    """
    sym = 0.5 * (jacobian + np.swapaxes(jacobian, 1, 2))
    values, vectors = np.linalg.eigh(sym)
    return values[:, ::-1], vectors[:, :, ::-1]


def jacobian_rank_dimension(score_model, X, level, threshold=0.5):
    """``#{eigenvalues of sym grad D > threshold}`` for each row of ``X``, and its margin.

    The margin is the distance of the eigenvalue closest to the threshold: near 1/2 the
    reading is clean (every eigenvalue near 0 or 1), near 0 it is about to flip.
    """
    values, _ = tangent_spectrum(score_model.denoiser_jacobian(X, level))
    margin = np.abs(values - threshold).min(axis=1)
    return (values > threshold).sum(axis=1).astype(float), margin


def flipd_dimension(score_model, X, level):
    """FLIPD: ``D + s**2 (tr grad score + ||score||**2) = tr grad D + ||D(y) - y||**2 / s**2``.

    Returns the continuous estimate and its margin, the distance to the nearest rounding
    boundary (half-integer).
    """
    trace = np.trace(score_model.denoiser_jacobian(X, level), axis1=1, axis2=2)
    residual = ((score_model.denoise(X, level) - X) ** 2).sum(axis=1) / level**2
    estimate = trace + residual
    return estimate, 0.5 - np.abs(estimate - np.round(estimate))


def normal_bundle_dimension(score_model, X, level, directions, threshold=0.1):
    """Normal-bundle reading (Stanczuk et al.): rank of scores at ``y + s z_k``.

    ``directions`` holds the ``K`` standard normal perturbations ``z_k``, shape (K, D).

    The scores of ``n_probes`` perturbed copies are stacked; rescaled by ``s / sqrt(K)``,
    their squared singular values are ~1 along normal directions and ~``s**2`` along
    tangent ones. The count of values above ``threshold`` is the normal dimension; the
    margin is the distance of the value closest to the threshold.
    """
    n, n_features = X.shape
    n_probes = directions.shape[0]
    # The same perturbations at every point: a point's reading depends on it alone, not on
    # the batch it is computed in.
    probes = (X[:, None, :] + level * directions[None]).reshape(-1, n_features)
    scores = (score_model.denoise(probes, level) - probes) / level**2
    scores = scores.reshape(n, n_probes, n_features) * (level / n_probes**0.5)
    energy = np.linalg.svd(scores, compute_uv=False) ** 2
    margin = np.minimum(np.abs(energy - threshold).min(axis=1), 0.5)
    return n_features - (energy > threshold).sum(axis=1).astype(float), margin

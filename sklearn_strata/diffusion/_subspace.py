"""Split of the ambient space into a principal subspace and an isotropic-noise tail.

Stratified data in ``R^D`` usually span a few directions (the strata's affine hull) plus
isotropic ambient noise in all the others. An MLP denoiser fed every coordinate has to
learn, in each empty direction, the map ``y -> y * tau**2 / (tau**2 + s**2)`` at every
level ``s``; at the small levels where the geometry is read it spends its capacity there
and smooths the strata away (a torus with its core circle in ``R^10`` read as a solid
3-D torus). When the trailing principal variances look like isotropic noise, they are
modelled exactly as a Gaussian and the network only sees the leading coordinates.
"""

import numpy as np

# The leading variances must exceed the noise tail by this factor.
_MIN_GAP = 8.0
# Slack on the Marchenko-Pastur spread of a pure-noise tail's sample variances. (2 would
# let a tail hold duplicated noisy coordinates, whose noise variance doubles along the
# diagonal, but it also takes curved strata's small trailing variances for noise.)
_SPREAD_SLACK = 1.5


def _noise_spread(n_tail, n_samples):
    """Largest ratio of sample variances expected from isotropic noise in ``n_tail`` dims."""
    ratio = min(n_tail / n_samples, 0.25)
    return _SPREAD_SLACK * ((1.0 + np.sqrt(ratio)) / (1.0 - np.sqrt(ratio))) ** 2


def principal_split(Z):
    """Principal basis of centered data and the number of leading directions to learn.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_features)
        Centered, standardised data.

    Returns
    -------
    basis : ndarray of shape (n_features, n_features)
        Orthonormal principal directions (columns), by decreasing variance. Each column's
        sign makes the third moment of the data along it non-negative, so the basis turns
        with the data under rotations.
    head_dim : int
        Number of leading directions modelled by the network (``n_features`` when the
        trailing variances do not look like isotropic noise).
    tail_variance : float
        Variance of the isotropic Gaussian modelling the trailing directions (0 when
        ``head_dim == n_features``).
    """
    n_samples, n_features = Z.shape
    variances, basis = np.linalg.eigh(Z.T @ Z / n_samples)
    variances, basis = variances[::-1], basis[:, ::-1]
    # Rounding leaves exactly empty directions with variances of +-1e-17: call them 0.
    variances = np.where(variances > 1e-12 * max(variances[0], 1e-300), variances, 0.0)
    skew = np.sum((Z @ basis) ** 3, axis=0)
    basis = basis * np.where(skew < 0, -1.0, 1.0)
    # Constant coordinates (and duplicated ones) leave exactly empty directions at the end:
    # the isotropy of the tail is judged on its other directions, and the empty ones are
    # modelled with the tail's variance too (their data sit at its center).
    n_empty = int(np.sum(variances == 0.0))
    n_filled = n_features - n_empty
    # The tail needs two non-empty directions or more: isotropy cannot be judged from one.
    for head_dim in range(1, n_filled - 1):
        tail = variances[head_dim:n_filled]
        isotropic = tail.max() <= _noise_spread(tail.size, n_samples) * tail.min()
        separated = variances[head_dim - 1] >= _MIN_GAP * tail.max()
        if isotropic and separated:
            return basis, head_dim, float(tail.mean())
    if 0 < n_empty and n_filled >= 1:
        # No noise tail, but empty directions: the network learns the filled ones only.
        return basis, n_filled, 0.0
    return basis, n_features, 0.0

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
from sklearn.neighbors import NearestNeighbors

# The leading variances must exceed the noise tail by this factor.
_MIN_GAP = 8.0
# ... or by this one when the tail spans three directions or more and varies between
# nearest neighbors like independent noise (:func:`tail_varies_like_noise`). A flat
# cube's directions look isotropic too, but vary smoothly: sphere_line_cube in R^12
# has a 4-cube tail 4.8 times below the sphere's variance. Strata of very different
# extents (a disk of radius 5 beside a circle of radius 0.5, with noise 0.05) leave
# their smallest direction only 5.2 times above the noise.
_MIN_NOISE_GAP = 4.0
# Below this ratio the trailing principal coordinates vary smoothly between neighbors: they
# are part of the strata (a curved embedding), not noise. Measured: 0.05-0.15 on curved
# noiseless manifolds, 0.33-0.81 on strata with isotropic noise.
_MIN_NOISE_INDEPENDENCE = 0.25
# Points used to judge the independence (nearest neighbors cost n log n at most).
_MAX_INDEPENDENCE_POINTS = 5000
# Slack on the Marchenko-Pastur spread of a pure-noise tail's sample variances. (2 would
# let a tail hold duplicated noisy coordinates, whose noise variance doubles along the
# diagonal, but it also takes curved strata's small trailing variances for noise.)
_SPREAD_SLACK = 1.5


def _noise_spread(n_tail, n_samples):
    """Largest ratio of sample variances expected from isotropic noise in ``n_tail`` dims."""
    ratio = min(n_tail / n_samples, 0.25)
    return _SPREAD_SLACK * ((1.0 + np.sqrt(ratio)) / (1.0 - np.sqrt(ratio))) ** 2


def tail_varies_like_noise(Z, basis, head_dim, tail_variance):
    """Whether the trailing principal coordinates differ between nearest neighbors like noise.

    Isotropic noise makes two neighbors' trailing coordinates differ by about
    ``2 * tail_variance`` per direction, as for independent draws; the trailing directions
    of strata (a curved embedding, a flat cube) vary smoothly, and neighbors nearly agree.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_features)
        Centered data.
    basis : ndarray of shape (n_features, n_features)
        Principal directions (columns), by decreasing variance.
    head_dim : int
        Number of leading directions; the others form the tail.
    tail_variance : float
        Mean variance of the tail.
    """
    if Z.shape[0] > _MAX_INDEPENDENCE_POINTS:
        rows = np.random.RandomState(0).permutation(Z.shape[0])[:_MAX_INDEPENDENCE_POINTS]
        Z = Z[rows]
    tail = Z @ basis[:, head_dim:]
    _, nearest = NearestNeighbors(n_neighbors=2).fit(Z).kneighbors(Z)
    neighbor_gap = np.mean(np.sum((tail - tail[nearest[:, 1]]) ** 2, axis=1))
    return bool(neighbor_gap >= _MIN_NOISE_INDEPENDENCE * 2.0 * tail_variance * tail.shape[1])


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
        if not isotropic:
            continue
        gap = variances[head_dim - 1] / tail.max()
        if gap >= _MIN_GAP or (
            gap >= _MIN_NOISE_GAP
            and tail.size >= 3
            and tail_varies_like_noise(Z, basis, head_dim, float(tail.mean()))
        ):
            return basis, head_dim, float(tail.mean())
    if 0 < n_empty and n_filled >= 1:
        # No noise tail, but empty directions: the network learns the filled ones only.
        return basis, n_filled, 0.0
    return basis, n_features, 0.0

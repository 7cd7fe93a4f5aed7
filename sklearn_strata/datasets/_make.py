"""General builder of stratified data sets."""

import numpy as np

from ._rng import check_random_state
from ._space import StratifiedSpace, check_strata
from ._validation import check_ambient_dim, check_n_samples, check_noise, check_weights


def random_isometry(ambient_dim, dim, random_state=None):
    """Draw a Haar-random orthonormal frame of ``dim`` columns in ``R^ambient_dim``.

    Parameters
    ----------
    ambient_dim : int
        Number of rows.
    dim : int
        Number of columns, ``<= ambient_dim``.
    random_state : int, RandomState instance or None, default=None
        Seed or generator of the draw.
        None draws fresh entropy; numpy's global random state is never used.

    Returns
    -------
    frame : ndarray of shape (ambient_dim, dim)
        Matrix with orthonormal columns.
    """
    rng = check_random_state(random_state)
    q, r = np.linalg.qr(rng.standard_normal((ambient_dim, dim)))
    # QR alone is not Haar-distributed; fixing the signs of diag(r) makes it so.
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


def _random_offset(ambient_dim, rng):
    """A point drawn uniformly from the unit ball of ``R^ambient_dim``."""
    direction = rng.standard_normal(ambient_dim)
    direction /= np.linalg.norm(direction)
    return direction * rng.uniform() ** (1.0 / ambient_dim)


def _pad_rows(array, n_rows):
    return np.concatenate([array, np.zeros((n_rows - array.shape[0],) + array.shape[1:])])


def _required_dim(stratum):
    required = stratum.embedding_dim
    if stratum.rotation is not None or stratum.offset is not None:
        required = max(required, stratum.ambient_dim)
    return required


def _place_in(stratum, ambient_dim, rng):
    """Place ``stratum`` in ``R^ambient_dim``, drawing what its placement leaves open."""
    if stratum.rotation is not None:
        rotation = _pad_rows(stratum.rotation, ambient_dim)
        offset = _pad_rows(stratum.origin, ambient_dim)
    else:
        rotation = random_isometry(ambient_dim, stratum.embedding_dim, rng)
        if stratum.offset is not None:
            offset = _pad_rows(stratum.offset, ambient_dim)
        else:
            offset = _random_offset(ambient_dim, rng)
    return stratum.place(rotation=rotation, offset=offset)


def make_stratified(
    strata,
    n_samples=1000,
    *,
    weights=None,
    ambient_dim=None,
    noise=0.0,
    random_state=None,
    return_space=False,
):
    """Sample a union of strata placed in ``R^ambient_dim``.

    Each stratum is sampled uniformly for its volume measure (a curved one with
    ``density_ratio > 1`` with its documented density). A stratum without a
    ``rotation`` gets a random isometry into ``R^ambient_dim`` and, if it has no ``offset``
    either, a random offset drawn uniformly from the unit ball. A stratum with a
    ``rotation`` keeps its placement; if its frame has fewer rows than ``ambient_dim``,
    it is completed with zero rows (the first coordinates of ``R^ambient_dim``).

    Parameters
    ----------
    strata : list of stratum objects
        The strata (:class:`Point`, :class:`Segment`, :class:`Ball`, :class:`Cube`,
        :class:`Sphere`, :class:`Torus`, :class:`MobiusBand`, :class:`ToroidalHelix`,
        :class:`FigureEightKleinBottle`), placed or not.
    n_samples : int, default=1000
        Total number of points, >= 1.
    weights : array-like of shape (n_strata,), default=None
        Probability of each stratum (non-negative, summing to 1). None means equal weights.
        Stratum ``k`` gets ``n_samples * weights[k]`` points, rounded by largest remainders.
    ambient_dim : int, default=None
        Dimension ``D`` of the ambient space. None means the smallest that fits: the
        largest ``embedding_dim`` of the unplaced strata and ambient dimension of the
        placed ones.
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to every ambient coordinate after
        placement, >= 0.
    random_state : int, RandomState instance or None, default=None
        Seed or generator of the placements, the samples and the noise.
        None draws fresh entropy; numpy's global random state is never used.
    return_space : bool, default=False
        If True, also return the :class:`StratifiedSpace` (true strata, dimensions, weights
        and distances).

    Returns
    -------
    X : ndarray of shape (n_samples, ambient_dim)
        The points, shuffled.
    y : ndarray of shape (n_samples,)
        Label of the stratum each point was drawn from (its index in ``strata``).
    space : StratifiedSpace
        The placed strata; only returned if ``return_space`` is True.

    Examples
    --------
    >>> from sklearn_strata.datasets import Ball, Sphere, make_stratified
    >>> X, y, space = make_stratified(
    ...     [Sphere(2), Ball(1)], 100, ambient_dim=5, random_state=0, return_space=True
    ... )
    >>> X.shape
    (100, 5)
    >>> space.strata_dims
    array([2, 1])
    >>> bool(space.distance(X).max() < 1e-8)
    True
    """
    strata = check_strata(strata)
    n_samples = check_n_samples(n_samples)
    noise = check_noise(noise)
    weights = check_weights(weights, len(strata))
    required = max(1, *(_required_dim(stratum) for stratum in strata))
    ambient_dim = check_ambient_dim(ambient_dim, required)
    rng = check_random_state(random_state)

    placed = [_place_in(stratum, ambient_dim, rng) for stratum in strata]
    space = StratifiedSpace(placed, weights=weights)
    X, y = space.sample(n_samples, noise=noise, random_state=rng)
    if return_space:
        return X, y, space
    return X, y

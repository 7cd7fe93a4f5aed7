"""The StratifiedSpace container: placed strata, their weights and the union's geometry."""

import numpy as np
from sklearn.utils import check_array

from ._rng import check_random_state
from ._strata import BaseStratum
from ._validation import check_n_samples, check_noise, check_weights


def check_strata(strata):
    """Return ``strata`` as a tuple, or raise ValueError if it is empty or not all strata."""
    if isinstance(strata, BaseStratum):
        raise ValueError("strata must be a list of strata, got a single stratum.")
    try:
        strata = tuple(strata)
    except TypeError as exc:
        raise ValueError(f"strata must be a list of strata, got {strata!r}.") from exc
    if len(strata) == 0:
        raise ValueError("strata must contain at least one stratum.")
    for stratum in strata:
        if not isinstance(stratum, BaseStratum):
            raise ValueError(
                f"strata must contain stratum objects (Sphere, Ball, ...), got {stratum!r}."
            )
    return strata


def _exact_counts(weights, n_samples):
    """Split ``n_samples`` by ``weights``, rounding by largest remainders."""
    raw = weights * n_samples
    counts = np.floor(raw).astype(int)
    shortfall = n_samples - counts.sum()
    counts[np.argsort(counts - raw, kind="stable")[:shortfall]] += 1
    return counts


class StratifiedSpace:
    """A union of placed strata of ``R^ambient_dim`` with a probability weight on each.

    Parameters
    ----------
    strata : list of stratum objects
        The strata, all living in the same ``R^ambient_dim`` (placed strata with frames of
        ``ambient_dim`` rows, or unplaced strata with ``embedding_dim == ambient_dim``).
    weights : array-like of shape (n_strata,), default=None
        Probability of each stratum; must be non-negative and sum to 1. None means equal
        weights.

    Attributes
    ----------
    strata : tuple of stratum objects
        The strata; stratum ``k`` has label ``k``.
    weights : ndarray of shape (n_strata,)
        Probability of each stratum.
    n_strata : int
        Number of strata.
    strata_dims : ndarray of shape (n_strata,)
        Intrinsic dimension of each stratum.
    ambient_dim : int
        Dimension ``D`` of the ambient space.

    Examples
    --------
    >>> from sklearn_strata.datasets import Ball, Segment, StratifiedSpace
    >>> disk = Ball(2, radius=1.0)
    >>> stick = Segment(length=2.0).place(rotation=[[1.0], [0.0]], offset=[2.0, 0.0])
    >>> space = StratifiedSpace([disk, stick], weights=[0.7, 0.3])
    >>> space.strata_dims
    array([2, 1])
    >>> X, y = space.sample(10, random_state=0)
    >>> X.shape, y.shape
    ((10, 2), (10,))
    >>> space.distance([[0.0, 0.0], [2.0, 1.0]])
    array([0., 1.])
    >>> space.nearest_stratum([[0.0, 0.0], [2.0, 1.0]])
    array([0, 1])
    """

    def __init__(self, strata, weights=None):
        self.strata = check_strata(strata)
        ambient_dims = {stratum.ambient_dim for stratum in self.strata}
        if len(ambient_dims) != 1:
            raise ValueError(
                f"strata must all live in the same ambient space, got dimensions "
                f"{sorted(ambient_dims)}."
            )
        self.ambient_dim = ambient_dims.pop()
        self.weights = check_weights(weights, len(self.strata))

    @property
    def n_strata(self):
        """int: Number of strata."""
        return len(self.strata)

    @property
    def strata_dims(self):
        """ndarray of shape (n_strata,): Intrinsic dimension of each stratum."""
        return np.array([stratum.dim for stratum in self.strata], dtype=int)

    def sample(self, n_samples, noise=0.0, random_state=None):
        """Draw points from the union, each stratum sampled by its own sampler.

        Every stratum is sampled uniformly for its volume measure, except a curved one with
        ``density_ratio > 1``, sampled with its documented density. Stratum ``k`` receives
        ``n_samples * weights[k]`` points, rounded so that the counts
        sum to ``n_samples`` (largest remainders). Gaussian noise of standard deviation
        ``noise`` is added to every ambient coordinate, and the points are shuffled. For a
        fixed ``random_state`` the noise is ``noise`` times the same Gaussian draw, so the
        noiseless points do not change with ``noise``.

        Parameters
        ----------
        n_samples : int
            Number of points, >= 1.
        noise : float, default=0.0
            Standard deviation of the ambient Gaussian noise, >= 0.
        random_state : int, RandomState instance or None, default=None
            Seed or generator of the draw. None draws fresh entropy; numpy's global
            random state is never used.

        Returns
        -------
        X : ndarray of shape (n_samples, ambient_dim)
            The points.
        y : ndarray of shape (n_samples,)
            Label (index in :attr:`strata`) of the stratum each point was drawn from.

        Examples
        --------
        >>> from sklearn_strata.datasets import Sphere, StratifiedSpace
        >>> space = StratifiedSpace([Sphere(2)])
        >>> X, y = space.sample(5, noise=0.1, random_state=0)
        >>> X.shape
        (5, 3)
        """
        n_samples = check_n_samples(n_samples)
        noise = check_noise(noise)
        rng = check_random_state(random_state)
        counts = _exact_counts(self.weights, n_samples)
        X = np.concatenate(
            [stratum.sample(count, rng) for stratum, count in zip(self.strata, counts, strict=True)]
        )
        y = np.repeat(np.arange(self.n_strata), counts)
        X += noise * rng.standard_normal(X.shape)
        order = rng.permutation(n_samples)
        return X[order], y[order]

    def distance_to_strata(self, X):
        """Exact distance from each point to each stratum.

        Parameters
        ----------
        X : array-like of shape (n_samples, ambient_dim)
            Points of the ambient space.

        Returns
        -------
        distances : ndarray of shape (n_samples, n_strata)
            ``distances[i, k]`` is the distance from ``X[i]`` to stratum ``k``.

        Examples
        --------
        >>> from sklearn_strata.datasets import Point, Sphere, StratifiedSpace
        >>> space = StratifiedSpace([Sphere(1), Point(offset=[0.0, 0.0])])
        >>> space.distance_to_strata([[3.0, 0.0]])
        array([[2., 3.]])
        """
        X = self._check_X(X)
        return np.column_stack([stratum.distance(X) for stratum in self.strata])

    def distance(self, X):
        """Exact distance from each point to the union of the strata.

        Parameters
        ----------
        X : array-like of shape (n_samples, ambient_dim)
            Points of the ambient space.

        Returns
        -------
        distances : ndarray of shape (n_samples,)
            Distance of each point to the nearest stratum.

        Examples
        --------
        >>> from sklearn_strata.datasets import Point, Sphere, StratifiedSpace
        >>> space = StratifiedSpace([Sphere(1), Point(offset=[0.0, 0.0])])
        >>> space.distance([[3.0, 0.0], [0.2, 0.0]])
        array([2. , 0.2])
        """
        return self.distance_to_strata(X).min(axis=1)

    def nearest_stratum(self, X):
        """Label of the stratum nearest to each point (the lowest label on ties).

        Parameters
        ----------
        X : array-like of shape (n_samples, ambient_dim)
            Points of the ambient space.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the nearest stratum.

        Examples
        --------
        >>> from sklearn_strata.datasets import Point, Sphere, StratifiedSpace
        >>> space = StratifiedSpace([Sphere(1), Point(offset=[0.0, 0.0])])
        >>> space.nearest_stratum([[3.0, 0.0], [0.2, 0.0]])
        array([0, 1])
        """
        return self.distance_to_strata(X).argmin(axis=1)

    def pointwise_dimension(self, y):
        """Intrinsic dimension of the stratum of each label.

        Parameters
        ----------
        y : array-like of shape (n_samples,)
            Stratum labels, integers in ``[0, n_strata)``.

        Returns
        -------
        dims : ndarray of shape (n_samples,)
            ``strata_dims[y]``.

        Examples
        --------
        >>> from sklearn_strata.datasets import make_lollipop
        >>> X, y, space = make_lollipop(5, random_state=0, return_space=True)
        >>> space.pointwise_dimension([0, 1, 2])
        array([2, 1, 0])
        """
        y = check_array(y, ensure_2d=False, dtype=None, ensure_min_samples=0)
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"y must be a 1-D array of integer labels, got {y!r}.")
        if y.size and (y.min() < 0 or y.max() >= self.n_strata):
            raise ValueError(f"y must hold labels in [0, {self.n_strata}), got {y!r}.")
        return self.strata_dims[y]

    def _check_X(self, X):
        X = check_array(X, dtype=np.float64, ensure_min_samples=0)
        if X.shape[1] != self.ambient_dim:
            raise ValueError(f"X has {X.shape[1]} features, but the space is R^{self.ambient_dim}.")
        return X

    def __repr__(self):
        strata = ", ".join(repr(stratum) for stratum in self.strata)
        return f"StratifiedSpace([{strata}], ambient_dim={self.ambient_dim})"

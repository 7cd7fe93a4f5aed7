"""Stratum primitives: manifolds with a uniform sampler and an exact distance."""

import copy

import numpy as np
from sklearn.utils import check_array

from ._geomstats_compat import import_geomstats
from ._rng import check_random_state, seeded_global_rng
from ._validation import check_dim, check_n_samples, check_positive


def _euclidean(dim):
    """geomstats' ``Euclidean(dim)``, imported on first use."""
    return import_geomstats("geomstats.geometry.euclidean").Euclidean(dim)


def _hypersphere(dim):
    """geomstats' ``Hypersphere(dim)`` without a metric, imported on first use."""
    return import_geomstats("geomstats.geometry.hypersphere").Hypersphere(dim, equip=False)


class BaseStratum:
    """Base class of the strata: a manifold placed in ``R^D`` by an affine isometry.

    A stratum lives in its own coordinate space ``R^embedding_dim`` ("local" coordinates).
    Its placement maps local coordinates ``z`` to ``offset + scale * rotation @ z`` in
    ``R^D``, where the columns of ``rotation`` are orthonormal.

    Parameters
    ----------
    rotation : array-like of shape (ambient_dim, embedding_dim), default=None
        Orthonormal frame of the placement. None means the first ``embedding_dim``
        coordinate axes (and, in :func:`make_stratified`, a random frame).
    offset : array-like of shape (ambient_dim,), default=None
        Translation of the placement. None means the origin (and, in
        :func:`make_stratified`, a random offset when ``rotation`` is None too).
    scale : float, default=1.0
        Factor applied to the local coordinates before the isometry.
    """

    dim = None
    embedding_dim = None

    def __init__(self, *, rotation=None, offset=None, scale=1.0):
        self.scale = check_positive(scale, "scale")
        self.rotation = None if rotation is None else self._check_rotation(rotation)
        self.offset = None
        if offset is not None:
            offset = np.asarray(offset, dtype=np.float64)
            if offset.ndim != 1 or not np.all(np.isfinite(offset)):
                raise ValueError(f"offset must be a finite 1-D array, got {offset!r}.")
            if self.rotation is not None and offset.shape[0] != self.rotation.shape[0]:
                raise ValueError(
                    f"offset has {offset.shape[0]} coordinates but rotation has "
                    f"{self.rotation.shape[0]} rows."
                )
            if offset.shape[0] < self.embedding_dim:
                raise ValueError(
                    f"offset has {offset.shape[0]} coordinates; the stratum needs at "
                    f"least {self.embedding_dim}."
                )
            self.offset = offset

    def _check_rotation(self, rotation):
        rotation = np.asarray(rotation, dtype=np.float64)
        if rotation.ndim != 2 or rotation.shape[1] != self.embedding_dim:
            raise ValueError(
                f"rotation must have shape (ambient_dim, {self.embedding_dim}), "
                f"got {rotation.shape}."
            )
        gram = rotation.T @ rotation
        if not np.allclose(gram, np.eye(self.embedding_dim), rtol=0.0, atol=1e-8):
            raise ValueError("rotation must have orthonormal columns.")
        return rotation

    @property
    def ambient_dim(self):
        """int: Dimension of the space the placed stratum lives in."""
        if self.rotation is not None:
            return self.rotation.shape[0]
        if self.offset is not None:
            return self.offset.shape[0]
        return self.embedding_dim

    @property
    def frame(self):
        """ndarray of shape (ambient_dim, embedding_dim): the placement's orthonormal frame."""
        if self.rotation is not None:
            return self.rotation
        return np.eye(self.ambient_dim, self.embedding_dim)

    @property
    def origin(self):
        """ndarray of shape (ambient_dim,): the image of the local origin."""
        if self.offset is not None:
            return self.offset
        return np.zeros(self.ambient_dim)

    def place(self, *, rotation=None, offset=None, scale=None):
        """Return a copy of the stratum with a new placement.

        Parameters
        ----------
        rotation : array-like of shape (ambient_dim, embedding_dim), default=None
            Orthonormal frame of the new placement.
        offset : array-like of shape (ambient_dim,), default=None
            Translation of the new placement.
        scale : float, default=None
            Scale of the new placement; None keeps the current one.

        Returns
        -------
        stratum : BaseStratum
            A new stratum of the same shape, placed as given.

        Examples
        --------
        >>> from sklearn_strata.datasets import Segment
        >>> stick = Segment(length=2.0).place(rotation=[[1.0], [0.0]], offset=[2.0, 0.0])
        >>> stick.distance([[2.0, 1.0], [4.0, 0.0]])
        array([1., 1.])
        """
        placed = copy.copy(self)
        BaseStratum.__init__(
            placed,
            rotation=rotation,
            offset=offset,
            scale=self.scale if scale is None else scale,
        )
        return placed

    def sample_local(self, n_samples, random_state=None):
        """Sample the stratum uniformly (volume measure) in local coordinates.

        Parameters
        ----------
        n_samples : int
            Number of points, >= 0.
        random_state : int, RandomState instance or None, default=None
            Seed or generator of the draw. None draws fresh entropy; numpy's global
            random state is never used.

        Returns
        -------
        Z : ndarray of shape (n_samples, embedding_dim)
            The points, before placement.
        """
        n_samples = check_n_samples(n_samples, minimum=0)
        rng = check_random_state(random_state)
        if n_samples == 0:
            return np.zeros((0, self.embedding_dim))
        Z = self._sample_local(n_samples, rng)
        return np.asarray(Z, dtype=np.float64).reshape(n_samples, self.embedding_dim)

    def distance_local(self, Z):
        """Exact Euclidean distance from local coordinates to the unplaced stratum.

        Parameters
        ----------
        Z : array-like of shape (n_samples, embedding_dim)
            Points of the stratum's own coordinate space.

        Returns
        -------
        distances : ndarray of shape (n_samples,)
            Distance of each point to the stratum.
        """
        Z = self._check_local(Z)
        return self._distance_local(Z)

    def to_ambient(self, Z):
        """Map local coordinates to ``R^ambient_dim`` through the placement.

        Parameters
        ----------
        Z : array-like of shape (n_samples, embedding_dim)
            Local coordinates.

        Returns
        -------
        X : ndarray of shape (n_samples, ambient_dim)
            ``offset + scale * rotation @ z`` for every row ``z``.
        """
        Z = self._check_local(Z)
        return self.origin + self.scale * Z @ self.frame.T

    def to_local(self, X):
        """Local coordinates of the projection of ``X`` onto the placement's affine span.

        Parameters
        ----------
        X : array-like of shape (n_samples, ambient_dim)
            Points of the ambient space.

        Returns
        -------
        Z : ndarray of shape (n_samples, embedding_dim)
            Inverse of :meth:`to_ambient` on the affine span.
        """
        X = self._check_ambient(X)
        return (X - self.origin) @ self.frame / self.scale

    def sample(self, n_samples, random_state=None):
        """Sample the placed stratum uniformly (volume measure).

        Parameters
        ----------
        n_samples : int
            Number of points, >= 0.
        random_state : int, RandomState instance or None, default=None
            Seed or generator of the draw. None draws fresh entropy; numpy's global
            random state is never used.

        Returns
        -------
        X : ndarray of shape (n_samples, ambient_dim)
            Points on the placed stratum.
        """
        return self.to_ambient(self.sample_local(n_samples, random_state))

    def distance(self, X):
        """Exact Euclidean distance from points of ``R^ambient_dim`` to the placed stratum.

        The placement is an isometry onto an affine subspace (times ``scale``), so the
        distance is ``sqrt(d_subspace^2 + d_orthogonal^2)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ambient_dim)
            Points of the ambient space.

        Returns
        -------
        distances : ndarray of shape (n_samples,)
            Distance of each point to the stratum.
        """
        X = self._check_ambient(X)
        centered = X - self.origin
        in_frame = centered @ self.frame
        orthogonal = np.linalg.norm(centered - in_frame @ self.frame.T, axis=1)
        in_subspace = self.scale * self._distance_local(in_frame / self.scale)
        return np.hypot(in_subspace, orthogonal)

    def _check_local(self, Z):
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim != 2 or Z.shape[1] != self.embedding_dim:
            raise ValueError(f"Z must have shape (n_samples, {self.embedding_dim}), got {Z.shape}.")
        return Z

    def _check_ambient(self, X):
        X = check_array(X, dtype=np.float64, ensure_min_samples=0)
        if X.shape[1] != self.ambient_dim:
            raise ValueError(
                f"X has {X.shape[1]} features, but the stratum lives in R^{self.ambient_dim}."
            )
        return X

    def _shape_repr(self):
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self._shape_repr()})"


class Point(BaseStratum):
    """A single point (dimension 0); its location is the placement's ``offset``.

    Parameters
    ----------
    rotation : array-like of shape (ambient_dim, 0), default=None
        Empty frame; only its number of rows matters.
    offset : array-like of shape (ambient_dim,), default=None
        Location of the point.
    scale : float, default=1.0
        Unused by a point; kept for a uniform interface.

    Attributes
    ----------
    dim : int
        Intrinsic dimension, 0.
    embedding_dim : int
        Number of local coordinates, 0.

    Examples
    --------
    >>> from sklearn_strata.datasets import Point
    >>> tip = Point(offset=[3.0, 0.0])
    >>> tip.sample(2)
    array([[3., 0.],
           [3., 0.]])
    >>> tip.distance([[3.0, 4.0]])
    array([4.])
    """

    dim = 0
    embedding_dim = 0

    def _sample_local(self, n_samples, rng):
        return np.zeros((n_samples, 0))

    def _distance_local(self, Z):
        return np.zeros(Z.shape[0])


class Cube(BaseStratum):
    """A solid cube ``[-side/2, side/2]^dim`` (a flat piece: square, plane patch, ...).

    Sampled with geomstats' ``Euclidean(dim).random_point``.

    Parameters
    ----------
    dim : int
        Intrinsic dimension, >= 1.
    side : float, default=2.0
        Side length.
    rotation : array-like of shape (ambient_dim, dim), default=None
        Orthonormal frame of the placement.
    offset : array-like of shape (ambient_dim,), default=None
        Position of the center.
    scale : float, default=1.0
        Factor applied to local coordinates.

    Attributes
    ----------
    dim : int
        Intrinsic dimension.
    embedding_dim : int
        Number of local coordinates, ``dim``.

    Examples
    --------
    >>> from sklearn_strata.datasets import Cube
    >>> square = Cube(2, side=2.0)
    >>> square.sample(100, random_state=0).shape
    (100, 2)
    >>> square.distance([[0.5, 0.5], [2.0, 1.0]])
    array([0., 1.])
    """

    def __init__(self, dim, side=2.0, *, rotation=None, offset=None, scale=1.0):
        self.dim = self.embedding_dim = check_dim(dim)
        self.side = check_positive(side, "side")
        super().__init__(rotation=rotation, offset=offset, scale=scale)

    def _sample_local(self, n_samples, rng):
        with seeded_global_rng(rng):
            return _euclidean(self.dim).random_point(n_samples, bound=self.side / 2)

    def _distance_local(self, Z):
        excess = np.maximum(np.abs(Z) - self.side / 2, 0.0)
        return np.linalg.norm(excess, axis=1)

    def _shape_repr(self):
        return f"dim={self.dim}, side={self.side}"


class Segment(Cube):
    """A line segment ``[-length/2, length/2]`` (dimension 1).

    Parameters
    ----------
    length : float, default=2.0
        Length of the segment.
    rotation : array-like of shape (ambient_dim, 1), default=None
        Unit direction of the placed segment.
    offset : array-like of shape (ambient_dim,), default=None
        Position of the midpoint.
    scale : float, default=1.0
        Factor applied to local coordinates.

    Attributes
    ----------
    dim : int
        Intrinsic dimension, 1.
    embedding_dim : int
        Number of local coordinates, 1.

    Examples
    --------
    >>> from sklearn_strata.datasets import Segment
    >>> Segment(length=2.0).distance([[0.5], [3.0]])
    array([0., 2.])
    """

    def __init__(self, length=2.0, *, rotation=None, offset=None, scale=1.0):
        self.length = check_positive(length, "length")
        super().__init__(1, side=self.length, rotation=rotation, offset=offset, scale=scale)

    def _shape_repr(self):
        return f"length={self.length}"


class Ball(BaseStratum):
    """A solid Euclidean ball of radius ``radius`` in ``R^dim`` (a disk for ``dim=2``).

    geomstats has no uniform sampler of the Euclidean ball: directions are normalised
    Gaussians and radii ``radius * U^(1/dim)``.

    Parameters
    ----------
    dim : int
        Intrinsic dimension, >= 1.
    radius : float, default=1.0
        Radius.
    rotation : array-like of shape (ambient_dim, dim), default=None
        Orthonormal frame of the placement.
    offset : array-like of shape (ambient_dim,), default=None
        Position of the center.
    scale : float, default=1.0
        Factor applied to local coordinates.

    Attributes
    ----------
    dim : int
        Intrinsic dimension.
    embedding_dim : int
        Number of local coordinates, ``dim``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_strata.datasets import Ball
    >>> disk = Ball(2, radius=1.0)
    >>> bool(np.all(np.linalg.norm(disk.sample(100, random_state=0), axis=1) <= 1.0))
    True
    >>> disk.distance([[0.0, 3.0]])
    array([2.])
    """

    def __init__(self, dim, radius=1.0, *, rotation=None, offset=None, scale=1.0):
        self.dim = self.embedding_dim = check_dim(dim)
        self.radius = check_positive(radius, "radius")
        super().__init__(rotation=rotation, offset=offset, scale=scale)

    def _sample_local(self, n_samples, rng):
        directions = rng.standard_normal((n_samples, self.dim))
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
        radii = self.radius * rng.uniform(size=(n_samples, 1)) ** (1.0 / self.dim)
        return directions * radii

    def _distance_local(self, Z):
        return np.maximum(np.linalg.norm(Z, axis=1) - self.radius, 0.0)

    def _shape_repr(self):
        return f"dim={self.dim}, radius={self.radius}"


class Sphere(BaseStratum):
    """The hypersphere of intrinsic dimension ``dim`` and radius ``radius`` in ``R^(dim+1)``.

    A circle for ``dim=1``. Sampled with geomstats' ``Hypersphere(dim).random_uniform``.

    Parameters
    ----------
    dim : int
        Intrinsic dimension, >= 1.
    radius : float, default=1.0
        Radius.
    rotation : array-like of shape (ambient_dim, dim + 1), default=None
        Orthonormal frame of the placement.
    offset : array-like of shape (ambient_dim,), default=None
        Position of the center.
    scale : float, default=1.0
        Factor applied to local coordinates.

    Attributes
    ----------
    dim : int
        Intrinsic dimension.
    embedding_dim : int
        Number of local coordinates, ``dim + 1``.

    Examples
    --------
    >>> from sklearn_strata.datasets import Sphere
    >>> circle = Sphere(1, radius=2.0)
    >>> circle.embedding_dim
    2
    >>> circle.distance([[0.0, 0.0], [3.0, 0.0]])
    array([2., 1.])
    """

    def __init__(self, dim, radius=1.0, *, rotation=None, offset=None, scale=1.0):
        self.dim = check_dim(dim)
        self.embedding_dim = self.dim + 1
        self.radius = check_positive(radius, "radius")
        super().__init__(rotation=rotation, offset=offset, scale=scale)

    def _sample_local(self, n_samples, rng):
        sphere = _hypersphere(self.dim)
        with seeded_global_rng(rng):
            return self.radius * np.asarray(sphere.random_uniform(n_samples))

    def _distance_local(self, Z):
        return np.abs(np.linalg.norm(Z, axis=1) - self.radius)

    def _shape_repr(self):
        return f"dim={self.dim}, radius={self.radius}"


class Torus(BaseStratum):
    """A ring 2-torus in ``R^3``, the surface at distance ``r`` from a circle of radius ``R``.

    The core circle lies in the plane of the first two local axes, centered at the origin; it
    is ``Sphere(1, radius=R)`` placed on those axes. Points are drawn from the product of two
    geomstats circles ``Hypersphere(1)`` and thinned by the area element ``R + r cos(v)``, so
    they are uniform for the surface area.

    Parameters
    ----------
    radii : tuple of float, default=(2.0, 0.7)
        ``(R, r)``: radius of the core circle and of the tube, ``R > r > 0``.
    rotation : array-like of shape (ambient_dim, 3), default=None
        Orthonormal frame of the placement.
    offset : array-like of shape (ambient_dim,), default=None
        Position of the center.
    scale : float, default=1.0
        Factor applied to local coordinates.

    Attributes
    ----------
    dim : int
        Intrinsic dimension, 2.
    embedding_dim : int
        Number of local coordinates, 3.

    Examples
    --------
    >>> from sklearn_strata.datasets import Torus
    >>> torus = Torus(radii=(2.0, 0.7))
    >>> torus.sample(5, random_state=0).shape
    (5, 3)
    >>> torus.distance([[2.0, 0.0, 0.0], [2.0, 0.0, 0.7]])
    array([0.7, 0. ])
    """

    dim = 2
    embedding_dim = 3

    def __init__(self, radii=(2.0, 0.7), *, rotation=None, offset=None, scale=1.0):
        try:
            major, minor = radii
        except (TypeError, ValueError) as exc:
            raise ValueError(f"radii must be a pair (R, r), got {radii!r}.") from exc
        major = check_positive(major, "radii[0]")
        minor = check_positive(minor, "radii[1]")
        if minor >= major:
            raise ValueError(f"radii must satisfy R > r (a ring torus), got {radii!r}.")
        self.radii = (major, minor)
        super().__init__(rotation=rotation, offset=offset, scale=scale)

    def _sample_local(self, n_samples, rng):
        major, minor = self.radii
        circle = _hypersphere(1)
        accepted_tube = np.zeros((0, 2))
        with seeded_global_rng(rng):
            while accepted_tube.shape[0] < n_samples:
                tube = np.asarray(circle.random_uniform(n_samples)).reshape(-1, 2)
                keep = rng.uniform(size=n_samples) * (major + minor) < (major + minor * tube[:, 0])
                accepted_tube = np.concatenate([accepted_tube, tube[keep]])
            around = np.asarray(circle.random_uniform(n_samples)).reshape(-1, 2)
        cos_v, sin_v = accepted_tube[:n_samples].T
        ring = major + minor * cos_v
        return np.column_stack([ring * around[:, 0], ring * around[:, 1], minor * sin_v])

    def _distance_local(self, Z):
        major, minor = self.radii
        from_axis = np.hypot(Z[:, 0], Z[:, 1])
        return np.abs(np.hypot(from_axis - major, Z[:, 2]) - minor)

    def _shape_repr(self):
        return f"radii={self.radii}"

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


def _ring_density(angle, density_ratio):
    """Relative density ``1 + (density_ratio - 1) (1 + cos angle) / 2``, in ``[1, ratio]``."""
    return 1.0 + (density_ratio - 1.0) * 0.5 * (1.0 + np.cos(angle))


class _ParametricStratum(BaseStratum):
    """A stratum given by a smooth map of a box of parameters, with a numerical distance.

    Subclasses set ``_param_ranges`` (one ``(low, high, periodic)`` per parameter),
    ``_grid_shape`` (grid points per parameter), and define ``from_params`` and
    ``_speed_bounds`` (an upper bound of ``|dX / dt_i|`` over the whole box, per
    parameter). The map must be defined for every real value of a periodic parameter.

    Sampling is by rejection: parameters uniform on the box, kept with probability
    ``volume_element * density / bound``, where the volume element is
    ``sqrt(det(J^T J))`` of the (central finite difference) Jacobian ``J`` and the density
    is :func:`_ring_density` of the first parameter (uniform when ``density_ratio == 1``).

    The distance is the distance to the nearest point of a deterministic parameter grid
    (cell midpoints, ``_grid_shape`` points per parameter), refined by projected
    damped Newton steps that are kept only when they bring the point closer.
    The result is the distance to an actual point of the stratum, so it is never below the
    exact distance, and it exceeds it by at most :attr:`distance_error_bound`
    ``= sum_i speed_bound_i * step_i / 2`` (every point of the stratum is that close to a
    grid point); in practice, after refinement, the error is far smaller.
    """

    _param_ranges = ()
    _grid_shape = ()
    _refine_steps = 20
    _n_starts = 1

    def __init__(self, *, density_ratio=1.0, rotation=None, offset=None, scale=1.0):
        density_ratio = check_positive(density_ratio, "density_ratio")
        if density_ratio < 1.0:
            raise ValueError(f"density_ratio must be >= 1, got {density_ratio!r}.")
        self.density_ratio = density_ratio
        self._tree = None
        super().__init__(rotation=rotation, offset=offset, scale=scale)

    @property
    def distance_error_bound(self):
        """float: Upper bound of ``distance_local - exact distance`` (always >= 0)."""
        steps = [
            (high - low) / n
            for (low, high, _), n in zip(self._param_ranges, self._grid_shape, strict=True)
        ]
        return float(0.5 * np.dot(self._speed_bounds(), steps))

    def from_params(self, T):
        """Map parameters to local coordinates.

        Parameters
        ----------
        T : array-like of shape (n_samples, dim)
            Parameters of the points.

        Returns
        -------
        Z : ndarray of shape (n_samples, embedding_dim)
            The points, in the stratum's local coordinates.
        """
        T = np.asarray(T, dtype=np.float64).reshape(-1, self.dim)
        return self._map(T)

    def _jacobian(self, T, step=1e-6):
        columns = []
        for i in range(self.dim):
            shift = np.zeros(self.dim)
            shift[i] = step
            columns.append((self._map(T + shift) - self._map(T - shift)) / (2 * step))
        return np.stack(columns, axis=2)

    def volume_element(self, T):
        """``sqrt(det(J^T J))`` of the parametrization at ``T``, shape (n_samples,)."""
        J = self._jacobian(np.asarray(T, dtype=np.float64).reshape(-1, self.dim))
        return np.sqrt(np.maximum(np.linalg.det(np.swapaxes(J, 1, 2) @ J), 0.0))

    def _uniform_params(self, n, rng):
        lows = np.array([low for low, _, _ in self._param_ranges])
        highs = np.array([high for _, high, _ in self._param_ranges])
        return lows + (highs - lows) * rng.uniform(size=(n, self.dim))

    def _sample_local(self, n_samples, rng):
        bound = np.prod(self._speed_bounds()) * self.density_ratio
        kept = np.zeros((0, self.dim))
        while kept.shape[0] < n_samples:
            T = self._uniform_params(max(2 * n_samples, 64), rng)
            weight = self.volume_element(T) * _ring_density(T[:, 0], self.density_ratio)
            kept = np.concatenate([kept, T[rng.uniform(size=T.shape[0]) * bound < weight]])
        return self._map(kept[:n_samples])

    def _grid(self):
        if self._tree is None:
            from scipy.spatial import cKDTree

            axes = [
                low + (high - low) * (np.arange(n) + 0.5) / n
                for (low, high, _), n in zip(self._param_ranges, self._grid_shape, strict=True)
            ]
            params = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, self.dim)
            self._tree = (cKDTree(self._map(params)), params)
        return self._tree

    def _clip(self, T):
        T = T.copy()
        for i, (low, high, periodic) in enumerate(self._param_ranges):
            if not periodic:
                T[:, i] = np.clip(T[:, i], low, high)
        return T

    def _active(self, T, gradient):
        """Where a bounded parameter sits at a bound that the descent direction leaves."""
        active = np.zeros(T.shape, dtype=bool)
        for i, (low, high, periodic) in enumerate(self._param_ranges):
            if not periodic:
                active[:, i] = ((T[:, i] <= low) & (gradient[:, i] > 0)) | (
                    (T[:, i] >= high) & (gradient[:, i] < 0)
                )
        return active

    def _hessians(self, T, step=1e-4):
        """Second derivatives of the map, shape (n_samples, embedding_dim, dim, dim)."""
        H = np.empty((T.shape[0], self.embedding_dim, self.dim, self.dim))
        eye = step * np.eye(self.dim)
        for i in range(self.dim):
            for j in range(i, self.dim):
                second = (
                    self._map(T + eye[i] + eye[j])
                    - self._map(T + eye[i] - eye[j])
                    - self._map(T - eye[i] + eye[j])
                    + self._map(T - eye[i] - eye[j])
                ) / (4 * step**2)
                H[:, :, i, j] = H[:, :, j, i] = second
        return H

    def _distance_local(self, Z):
        if Z.shape[0] == 0:
            return np.zeros(0)
        tree, params = self._grid()
        best, index = tree.query(Z, k=self._n_starts)
        Z = np.repeat(Z, self._n_starts, axis=0)
        best, T = best.ravel(), params[index.ravel()]
        damping = np.full(Z.shape[0], 1e-3)
        eye = np.eye(self.dim)
        for _ in range(self._refine_steps):
            # Damped Newton steps on |Z - X(T)|^2 / 2, kept only where they get closer.
            J = self._jacobian(T)
            residual = Z - self._map(T)
            gradient = -np.einsum("nki,nk->ni", J, residual)
            hessian = np.swapaxes(J, 1, 2) @ J - np.einsum(
                "nk,nkij->nij", residual, self._hessians(T)
            )
            # Parameters held at a bound by the gradient stay there (projected Newton).
            active = self._active(T, gradient)
            gradient[active] = 0.0
            hessian[active[:, :, None] & ~np.eye(self.dim, dtype=bool)] = 0.0
            hessian[active[:, None, :] & ~np.eye(self.dim, dtype=bool)] = 0.0
            size = np.abs(hessian).max(axis=(1, 2))[:, None, None] + 1e-300
            system = hessian + damping[:, None, None] * size * eye
            step = np.linalg.solve(system, -gradient[..., None])[..., 0]
            T_new = self._clip(T + step)
            new = np.linalg.norm(Z - self._map(T_new), axis=1)
            better = new < best
            T[better], best[better] = T_new[better], new[better]
            damping = np.where(better, damping / 10.0, damping * 10.0).clip(1e-12, 1e12)
        return best.reshape(-1, self._n_starts).min(axis=1)


class MobiusBand(_ParametricStratum):
    """A twisted band of ``n_half_twists`` half-twists around a circle (a Möbius band if odd).

    ``X(u, v) = ((R + v cos(k u / 2)) cos u, (R + v cos(k u / 2)) sin u, v sin(k u / 2))``
    for ``u`` in ``[0, 2 pi)``, ``v`` in ``[-width / 2, width / 2]`` and ``k`` half-twists:
    the segment across the band turns by ``k pi`` around the core circle of radius ``R``.
    The area element is ``sqrt((R + v cos(k u / 2))^2 + (k v / 2)^2)``. Points are drawn
    with a density (for the area) proportional to
    ``1 + (density_ratio - 1) (1 + cos u) / 2``: ``density_ratio`` times denser at
    ``u = 0`` than at ``u = pi``; ``density_ratio=1`` samples uniformly.

    The distance has no closed form: it is computed numerically (grid of 2048 x 64
    parameters and damped Newton refinement). It is never below the exact distance
    and exceeds it by at most :attr:`distance_error_bound`
    ``= (sqrt((R + w/2)^2 + (k w / 4)^2) pi / 2048 + w / 128)`` (about 0.012 for the
    defaults); after refinement the error is typically below ``1e-9``.

    Parameters
    ----------
    n_half_twists : int, default=3
        Number ``k`` of half-twists, >= 1.
    radius : float, default=2.0
        Radius ``R`` of the core circle.
    width : float, default=1.0
        Width ``w`` of the band, ``< 2 R``.
    density_ratio : float, default=1.0
        Ratio of the largest to the smallest sampling density, >= 1.
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
    distance_error_bound : float
        Upper bound of the error of the numerical distance (local units).

    Examples
    --------
    >>> from sklearn_strata.datasets import MobiusBand
    >>> band = MobiusBand(n_half_twists=3, radius=2.0, width=1.0)
    >>> band.sample(5, random_state=0).shape
    (5, 3)
    >>> band.distance([[2.0, 0.0, 0.0], [2.0, 0.0, 1.0]]).round(6)
    array([0., 1.])
    """

    dim = 2
    embedding_dim = 3
    _grid_shape = (2048, 64)

    def __init__(
        self,
        n_half_twists=3,
        radius=2.0,
        width=1.0,
        *,
        density_ratio=1.0,
        rotation=None,
        offset=None,
        scale=1.0,
    ):
        self.n_half_twists = check_dim(n_half_twists, "n_half_twists")
        self.radius = check_positive(radius, "radius")
        self.width = check_positive(width, "width")
        if self.width >= 2 * self.radius:
            raise ValueError(
                f"width must be < 2 * radius (the band must not reach its axis), got "
                f"width={width!r}, radius={radius!r}."
            )
        half = self.width / 2
        self._param_ranges = ((0.0, 2 * np.pi, True), (-half, half, False))
        super().__init__(density_ratio=density_ratio, rotation=rotation, offset=offset, scale=scale)

    def _map(self, T):
        u, v = T[:, 0], T[:, 1]
        twist = 0.5 * self.n_half_twists * u
        ring = self.radius + v * np.cos(twist)
        return np.column_stack([ring * np.cos(u), ring * np.sin(u), v * np.sin(twist)])

    def _speed_bounds(self):
        half = self.width / 2
        return np.array([np.hypot(self.radius + half, 0.5 * self.n_half_twists * half), 1.0])

    def _shape_repr(self):
        return (
            f"n_half_twists={self.n_half_twists}, radius={self.radius}, width={self.width}, "
            f"density_ratio={self.density_ratio}"
        )


class ToroidalHelix(_ParametricStratum):
    """A helix of ``n_turns`` turns wound around a circle (a curve on a ring torus).

    ``X(t) = ((R + r cos(m t)) cos t, (R + r cos(m t)) sin t, r sin(m t))`` for ``t`` in
    ``[0, 2 pi)`` and ``m = n_turns``: it winds ``m`` times around the core circle of
    radius ``R`` at distance ``r``. Its speed is ``sqrt((R + r cos(m t))^2 + (m r)^2)``.
    Points are drawn with a density (for the arc length) proportional to
    ``1 + (density_ratio - 1) (1 + cos t) / 2``; ``density_ratio=1`` samples uniformly.

    The distance has no closed form: it is computed numerically (grid of 8192 parameters
    and damped Newton refinement). It is never below the exact distance and exceeds
    it by at most :attr:`distance_error_bound`
    ``= sqrt((R + r)^2 + (m r)^2) pi / 8192`` (about 0.0016 for the defaults); after
    refinement the error is typically below ``1e-9``.

    Parameters
    ----------
    n_turns : int, default=10
        Number ``m`` of turns around the core circle, >= 1.
    radii : tuple of float, default=(2.0, 0.35)
        ``(R, r)``: radius of the core circle and of the winding, ``R > r > 0``.
    density_ratio : float, default=1.0
        Ratio of the largest to the smallest sampling density, >= 1.
    rotation : array-like of shape (ambient_dim, 3), default=None
        Orthonormal frame of the placement.
    offset : array-like of shape (ambient_dim,), default=None
        Position of the center.
    scale : float, default=1.0
        Factor applied to local coordinates.

    Attributes
    ----------
    dim : int
        Intrinsic dimension, 1.
    embedding_dim : int
        Number of local coordinates, 3.
    distance_error_bound : float
        Upper bound of the error of the numerical distance (local units).

    Examples
    --------
    >>> from sklearn_strata.datasets import ToroidalHelix
    >>> helix = ToroidalHelix(n_turns=10, radii=(2.0, 0.35))
    >>> helix.sample(5, random_state=0).shape
    (5, 3)
    >>> helix.distance([[2.35, 0.0, 0.0], [0.0, 0.0, 0.0]]).round(6)
    array([0.  , 1.65])
    """

    dim = 1
    embedding_dim = 3
    _grid_shape = (8192,)
    _param_ranges = ((0.0, 2 * np.pi, True),)

    def __init__(
        self,
        n_turns=10,
        radii=(2.0, 0.35),
        *,
        density_ratio=1.0,
        rotation=None,
        offset=None,
        scale=1.0,
    ):
        self.n_turns = check_dim(n_turns, "n_turns")
        self.radii = _check_ring_radii(radii)
        super().__init__(density_ratio=density_ratio, rotation=rotation, offset=offset, scale=scale)

    def _map(self, T):
        t = T[:, 0]
        major, minor = self.radii
        ring = major + minor * np.cos(self.n_turns * t)
        return np.column_stack(
            [ring * np.cos(t), ring * np.sin(t), minor * np.sin(self.n_turns * t)]
        )

    def _speed_bounds(self):
        major, minor = self.radii
        return np.array([np.hypot(major + minor, self.n_turns * minor)])

    def _shape_repr(self):
        return f"n_turns={self.n_turns}, radii={self.radii}, density_ratio={self.density_ratio}"


class FigureEightKleinBottle(_ParametricStratum):
    """The figure-eight immersion of the Klein bottle in ``R^3``, with a self-intersection.

    ``X(u, v) = ((R + a) cos u, (R + a) sin u, b)`` with
    ``(a, b) = r Rot(u / 2) (sin v, sin 2v)`` for ``u, v`` in ``[0, 2 pi)``: a figure-eight
    (lemniscate of Gerono) of size ``r`` that turns by half a turn while it goes once
    around the circle of radius ``R``. The figure-eight crosses itself at its center, so
    the surface crosses itself along that circle: ``X(u, 0) == X(u, pi)``. Points of the
    self-intersection are still points of this one 2-dimensional stratum. Sampled
    uniformly for the area (``density_ratio=1``) by rejection.

    The distance has no closed form: it is computed numerically (grid of 1024 x 256
    parameters and damped Newton refinement). It is never below the exact distance
    and exceeds it by at most :attr:`distance_error_bound`
    ``= sqrt(r^2 / 2 + (R + sqrt(2) r)^2) pi / 1024 + sqrt(5) r pi / 256`` (about 0.022
    for the defaults); after refinement the error is typically below ``1e-9``.

    Parameters
    ----------
    radii : tuple of float, default=(2.0, 0.5)
        ``(R, r)``: radius of the core circle and size of the figure-eight,
        ``R > sqrt(2) r > 0``.
    density_ratio : float, default=1.0
        Ratio of the largest to the smallest sampling density along ``u``, >= 1.
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
    distance_error_bound : float
        Upper bound of the error of the numerical distance (local units).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_strata.datasets import FigureEightKleinBottle
    >>> klein = FigureEightKleinBottle(radii=(2.0, 0.5))
    >>> on_both_sheets = klein.from_params([[1.0, 0.0], [1.0, np.pi]])
    >>> bool(np.allclose(on_both_sheets[0], on_both_sheets[1]))
    True
    >>> klein.distance([[2.0, 0.0, 0.0], [5.0, 0.0, 0.0]]).round(6)
    array([0. , 2.5])
    """

    dim = 2
    embedding_dim = 3
    _grid_shape = (1024, 256)
    _param_ranges = ((0.0, 2 * np.pi, True), (0.0, 2 * np.pi, True))

    def __init__(
        self, radii=(2.0, 0.5), *, density_ratio=1.0, rotation=None, offset=None, scale=1.0
    ):
        major, minor = _check_ring_radii(radii)
        if major <= np.sqrt(2.0) * minor:
            raise ValueError(f"radii must satisfy R > sqrt(2) r, got {radii!r}.")
        self.radii = (major, minor)
        super().__init__(density_ratio=density_ratio, rotation=rotation, offset=offset, scale=scale)

    def _map(self, T):
        u, v = T[:, 0], T[:, 1]
        major, minor = self.radii
        first, second = np.sin(v), np.sin(2 * v)
        cos_h, sin_h = np.cos(u / 2), np.sin(u / 2)
        a = minor * (cos_h * first - sin_h * second)
        b = minor * (sin_h * first + cos_h * second)
        return np.column_stack([(major + a) * np.cos(u), (major + a) * np.sin(u), b])

    def _speed_bounds(self):
        major, minor = self.radii
        return np.array(
            [np.sqrt(minor**2 / 2 + (major + np.sqrt(2.0) * minor) ** 2), np.sqrt(5.0) * minor]
        )

    def _shape_repr(self):
        return f"radii={self.radii}, density_ratio={self.density_ratio}"


def _check_ring_radii(radii):
    try:
        major, minor = radii
    except (TypeError, ValueError) as exc:
        raise ValueError(f"radii must be a pair (R, r), got {radii!r}.") from exc
    major = check_positive(major, "radii[0]")
    minor = check_positive(minor, "radii[1]")
    if minor >= major:
        raise ValueError(f"radii must satisfy R > r, got {radii!r}.")
    return (major, minor)

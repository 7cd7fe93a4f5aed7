"""Preset stratified spaces from the stratified-learning literature.

Every preset is built in a small local frame (``R^2`` or ``R^3``), centered near the origin
with strata of extent about 2, then carried into ``R^ambient_dim`` by one random isometry
(so the data is not axis-aligned, whatever ``ambient_dim``).
"""

import numbers

import numpy as np

from ._make import make_stratified, random_isometry
from ._rng import check_random_state
from ._strata import Ball, Cube, Point, Segment, Sphere, Torus
from ._validation import check_ambient_dim, check_n_samples, check_noise, check_weights


def _axes(local_dim, *indices):
    """Frame made of the coordinate axes ``indices`` of ``R^local_dim``."""
    return np.eye(local_dim)[:, list(indices)]


def _make_preset(
    strata,
    default_weights,
    *,
    n_samples,
    weights,
    ambient_dim,
    noise,
    random_state,
    return_space,
):
    """Carry strata placed in ``R^local_dim`` into ``R^ambient_dim`` and sample them."""
    local_dim = strata[0].ambient_dim
    n_samples = check_n_samples(n_samples)
    noise = check_noise(noise)
    weights = check_weights(default_weights if weights is None else weights, len(strata))
    ambient_dim = check_ambient_dim(ambient_dim, local_dim)
    rng = check_random_state(random_state)

    isometry = random_isometry(ambient_dim, local_dim, rng)
    placed = [
        stratum.place(rotation=isometry @ stratum.frame, offset=isometry @ stratum.origin)
        for stratum in strata
    ]
    return make_stratified(
        placed,
        n_samples,
        weights=weights,
        ambient_dim=ambient_dim,
        noise=noise,
        random_state=rng,
        return_space=return_space,
    )


def make_lollipop(
    n_samples=1000,
    *,
    ambient_dim=3,
    weights=None,
    noise=0.0,
    random_state=None,
    return_space=False,
):
    """Sample a lollipop: a disk, a stick attached to its rim, and an isolated point.

    In the local plane: label 0 is the disk of radius 1 centered at the origin (dimension 2);
    label 1 is the segment from ``(1, 0)`` to ``(3, 0)`` (dimension 1), which touches the
    disk's rim at ``(1, 0)``; label 2 is the isolated point ``(3, 1)`` (dimension 0), one unit
    beside the stick's far end, as in the lollipop of the local-dimension literature
    (LIDL, FLIPD).

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, >= 1.
    ambient_dim : int, default=3
        Dimension ``D`` of the ambient space, at least 2. The preset is carried
        into ``R^D`` by a random isometry.
    weights : array-like of shape (3,), default=None
        Probability of each stratum; None means (0.6, 0.3, 0.1).
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to every ambient coordinate, >= 0.
    random_state : int, RandomState instance or None, default=None
        Seed or generator of the isometry, the samples and the noise.
        None draws fresh entropy; numpy's global random state is never used.
    return_space : bool, default=False
        If True, also return the :class:`StratifiedSpace`.

    Returns
    -------
    X : ndarray of shape (n_samples, ambient_dim)
        The points, shuffled.
    y : ndarray of shape (n_samples,)
        Label of the stratum each point was drawn from, in the order listed above.
    space : StratifiedSpace
        The placed strata; only returned if ``return_space`` is True.

    Examples
    --------
    >>> from sklearn_strata.datasets import make_lollipop
    >>> X, y, space = make_lollipop(200, ambient_dim=10, random_state=0, return_space=True)
    >>> X.shape
    (200, 10)
    >>> space.strata_dims
    array([2, 1, 0])
    """
    strata = [
        Ball(2, radius=1.0, rotation=_axes(2, 0, 1)),
        Segment(length=2.0, rotation=_axes(2, 0), offset=[2.0, 0.0]),
        Point(offset=[3.0, 1.0]),
    ]
    return _make_preset(
        strata,
        (0.6, 0.3, 0.1),
        n_samples=n_samples,
        weights=weights,
        ambient_dim=ambient_dim,
        noise=noise,
        random_state=random_state,
        return_space=return_space,
    )


def make_sphere_line(
    n_samples=1000,
    *,
    ambient_dim=3,
    weights=None,
    noise=0.0,
    random_state=None,
    return_space=False,
):
    """Sample a unit 2-sphere pierced by a line segment through its center.

    In the local ``R^3``: label 0 is the unit sphere centered at the origin (dimension 2);
    label 1 is the segment from ``(0, 0, -2)`` to ``(0, 0, 2)`` (dimension 1), which crosses
    the sphere at its poles and sticks out by 1 on both sides.

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, >= 1.
    ambient_dim : int, default=3
        Dimension ``D`` of the ambient space, at least 3. The preset is carried
        into ``R^D`` by a random isometry.
    weights : array-like of shape (2,), default=None
        Probability of each stratum; None means (0.5, 0.5).
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to every ambient coordinate, >= 0.
    random_state : int, RandomState instance or None, default=None
        Seed or generator of the isometry, the samples and the noise.
        None draws fresh entropy; numpy's global random state is never used.
    return_space : bool, default=False
        If True, also return the :class:`StratifiedSpace`.

    Returns
    -------
    X : ndarray of shape (n_samples, ambient_dim)
        The points, shuffled.
    y : ndarray of shape (n_samples,)
        Label of the stratum each point was drawn from, in the order listed above.
    space : StratifiedSpace
        The placed strata; only returned if ``return_space`` is True.

    Examples
    --------
    >>> from sklearn_strata.datasets import make_sphere_line
    >>> X, y, space = make_sphere_line(200, random_state=0, return_space=True)
    >>> X.shape
    (200, 3)
    >>> space.strata_dims
    array([2, 1])
    """
    strata = [
        Sphere(2, radius=1.0, rotation=_axes(3, 0, 1, 2)),
        Segment(length=4.0, rotation=_axes(3, 2)),
    ]
    return _make_preset(
        strata,
        (0.5, 0.5),
        n_samples=n_samples,
        weights=weights,
        ambient_dim=ambient_dim,
        noise=noise,
        random_state=random_state,
        return_space=return_space,
    )


def make_string_in_doughnut(
    n_samples=1000,
    *,
    ambient_dim=3,
    weights=None,
    noise=0.0,
    random_state=None,
    return_space=False,
):
    """Sample a torus and its core circle (a string inside a doughnut).

    In the local ``R^3``: label 0 is the torus surface with core radius 1 and tube radius
    0.4 around the third axis (dimension 2); label 1 is its core circle, of radius 1 in the
    plane of the first two axes (dimension 1). The circle runs inside the solid torus, at
    distance 0.4 from the surface: the strata do not touch.

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, >= 1.
    ambient_dim : int, default=3
        Dimension ``D`` of the ambient space, at least 3. The preset is carried
        into ``R^D`` by a random isometry.
    weights : array-like of shape (2,), default=None
        Probability of each stratum; None means (0.5, 0.5).
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to every ambient coordinate, >= 0.
    random_state : int, RandomState instance or None, default=None
        Seed or generator of the isometry, the samples and the noise.
        None draws fresh entropy; numpy's global random state is never used.
    return_space : bool, default=False
        If True, also return the :class:`StratifiedSpace`.

    Returns
    -------
    X : ndarray of shape (n_samples, ambient_dim)
        The points, shuffled.
    y : ndarray of shape (n_samples,)
        Label of the stratum each point was drawn from, in the order listed above.
    space : StratifiedSpace
        The placed strata; only returned if ``return_space`` is True.

    Examples
    --------
    >>> from sklearn_strata.datasets import make_string_in_doughnut
    >>> X, y, space = make_string_in_doughnut(200, random_state=0, return_space=True)
    >>> space.strata_dims
    array([2, 1])
    """
    strata = [
        Torus(radii=(1.0, 0.4), rotation=_axes(3, 0, 1, 2)),
        Sphere(1, radius=1.0, rotation=_axes(3, 0, 1)),
    ]
    return _make_preset(
        strata,
        (0.5, 0.5),
        n_samples=n_samples,
        weights=weights,
        ambient_dim=ambient_dim,
        noise=noise,
        random_state=random_state,
        return_space=return_space,
    )


def make_line_disk_ball(
    n_samples=1000,
    *,
    ambient_dim=3,
    weights=None,
    noise=0.0,
    random_state=None,
    return_space=False,
):
    """Sample a segment, a disk and a ball that cross pairwise.

    In the local ``R^3``: label 0 is the segment from ``(0.75, 0, -1)`` to
    ``(0.75, 0, 1)`` (dimension 1); label 1 is the disk of radius 1 centered at
    ``(1.5, 0, 0)`` in the plane of the first two axes (dimension 2); label 2 is the unit
    ball centered at the origin (dimension 3). The segment pierces the disk at
    ``(0.75, 0, 0)`` and runs through the ball for ``|z| < 0.66``; the disk and the ball
    overlap in a lens around ``(0.75, 0, 0)``.

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, >= 1.
    ambient_dim : int, default=3
        Dimension ``D`` of the ambient space, at least 3. The preset is carried
        into ``R^D`` by a random isometry.
    weights : array-like of shape (3,), default=None
        Probability of each stratum; None means equal weights.
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to every ambient coordinate, >= 0.
    random_state : int, RandomState instance or None, default=None
        Seed or generator of the isometry, the samples and the noise.
        None draws fresh entropy; numpy's global random state is never used.
    return_space : bool, default=False
        If True, also return the :class:`StratifiedSpace`.

    Returns
    -------
    X : ndarray of shape (n_samples, ambient_dim)
        The points, shuffled.
    y : ndarray of shape (n_samples,)
        Label of the stratum each point was drawn from, in the order listed above.
    space : StratifiedSpace
        The placed strata; only returned if ``return_space`` is True.

    Examples
    --------
    >>> from sklearn_strata.datasets import make_line_disk_ball
    >>> X, y, space = make_line_disk_ball(300, ambient_dim=5, random_state=0,
    ...                                   return_space=True)
    >>> space.strata_dims
    array([1, 2, 3])
    """
    strata = [
        Segment(length=2.0, rotation=_axes(3, 2), offset=[0.75, 0.0, 0.0]),
        Ball(2, radius=1.0, rotation=_axes(3, 0, 1), offset=[1.5, 0.0, 0.0]),
        Ball(3, radius=1.0, rotation=_axes(3, 0, 1, 2)),
    ]
    return _make_preset(
        strata,
        None,
        n_samples=n_samples,
        weights=weights,
        ambient_dim=ambient_dim,
        noise=noise,
        random_state=random_state,
        return_space=return_space,
    )


def make_crossing_planes(
    n_samples=1000,
    *,
    ambient_dim=3,
    angle=90.0,
    weights=None,
    noise=0.0,
    random_state=None,
    return_space=False,
):
    """Sample two squares crossing along a line at a given angle.

    In the local ``R^3``: label 0 is the square ``[-1, 1]^2`` in the plane of the first two
    axes (dimension 2); label 1 is the same square rotated by ``angle`` about the first
    axis (dimension 2). They cross along the segment ``[-1, 1] x {0} x {0}``.

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, >= 1.
    ambient_dim : int, default=3
        Dimension ``D`` of the ambient space, at least 3. The preset is carried
        into ``R^D`` by a random isometry.
    angle : float, default=90.0
        Angle between the two squares in degrees, in ``(0, 180)``.
    weights : array-like of shape (2,), default=None
        Probability of each stratum; None means equal weights.
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to every ambient coordinate, >= 0.
    random_state : int, RandomState instance or None, default=None
        Seed or generator of the isometry, the samples and the noise.
        None draws fresh entropy; numpy's global random state is never used.
    return_space : bool, default=False
        If True, also return the :class:`StratifiedSpace`.

    Returns
    -------
    X : ndarray of shape (n_samples, ambient_dim)
        The points, shuffled.
    y : ndarray of shape (n_samples,)
        Label of the stratum each point was drawn from, in the order listed above.
    space : StratifiedSpace
        The placed strata; only returned if ``return_space`` is True.

    Examples
    --------
    >>> from sklearn_strata.datasets import make_crossing_planes
    >>> X, y, space = make_crossing_planes(200, angle=45.0, random_state=0,
    ...                                    return_space=True)
    >>> space.strata_dims
    array([2, 2])
    """
    if not isinstance(angle, numbers.Real) or isinstance(angle, bool) or not 0.0 < angle < 180.0:
        raise ValueError(f"angle must be a number of degrees in (0, 180), got {angle!r}.")
    theta = np.deg2rad(angle)
    tilted = np.array([[1.0, 0.0], [0.0, np.cos(theta)], [0.0, np.sin(theta)]])
    strata = [
        Cube(2, side=2.0, rotation=_axes(3, 0, 1)),
        Cube(2, side=2.0, rotation=tilted),
    ]
    return _make_preset(
        strata,
        None,
        n_samples=n_samples,
        weights=weights,
        ambient_dim=ambient_dim,
        noise=noise,
        random_state=random_state,
        return_space=return_space,
    )


def make_disjoint_circles(
    n_samples=1000,
    *,
    ambient_dim=3,
    weights=None,
    noise=0.0,
    random_state=None,
    return_space=False,
):
    """Sample two disjoint unit circles.

    In the local plane: label 0 is the unit circle centered at ``(-1.5, 0)`` and label 1 the
    unit circle centered at ``(1.5, 0)`` (both of dimension 1); they are 1 apart.

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, >= 1.
    ambient_dim : int, default=3
        Dimension ``D`` of the ambient space, at least 2. The preset is carried
        into ``R^D`` by a random isometry.
    weights : array-like of shape (2,), default=None
        Probability of each stratum; None means equal weights.
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to every ambient coordinate, >= 0.
    random_state : int, RandomState instance or None, default=None
        Seed or generator of the isometry, the samples and the noise.
        None draws fresh entropy; numpy's global random state is never used.
    return_space : bool, default=False
        If True, also return the :class:`StratifiedSpace`.

    Returns
    -------
    X : ndarray of shape (n_samples, ambient_dim)
        The points, shuffled.
    y : ndarray of shape (n_samples,)
        Label of the stratum each point was drawn from, in the order listed above.
    space : StratifiedSpace
        The placed strata; only returned if ``return_space`` is True.

    Examples
    --------
    >>> from sklearn_strata.datasets import make_disjoint_circles
    >>> X, y, space = make_disjoint_circles(200, random_state=0, return_space=True)
    >>> space.strata_dims
    array([1, 1])
    """
    strata = [
        Sphere(1, radius=1.0, rotation=_axes(2, 0, 1), offset=[-1.5, 0.0]),
        Sphere(1, radius=1.0, rotation=_axes(2, 0, 1), offset=[1.5, 0.0]),
    ]
    return _make_preset(
        strata,
        None,
        n_samples=n_samples,
        weights=weights,
        ambient_dim=ambient_dim,
        noise=noise,
        random_state=random_state,
        return_space=return_space,
    )


def make_sphere_line_cube(
    n_samples=1000,
    *,
    ambient_dim=12,
    weights=None,
    noise=0.0,
    random_state=None,
    return_space=False,
):
    """Sample a 2-sphere pierced by a line, and apart from them a solid 4-cube.

    Strata of dimensions 1, 2 and 4, one crossing another and one on its own, of different
    extents: the local ``R^8`` holds the unit 2-sphere centered at the origin in the first
    three axes (label 0, dimension 2), the segment from ``(0, 0, -2)`` to ``(0, 0, 2)``
    through its poles (label 1, dimension 1) and the cube ``[-1, 1]^4`` in the last four
    axes, centered 5 away along the sixth (label 2, dimension 4).

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, >= 1.
    ambient_dim : int, default=12
        Dimension ``D`` of the ambient space, at least 8. The preset is carried
        into ``R^D`` by a random isometry.
    weights : array-like of shape (3,), default=None
        Probability of each stratum; None means equal weights.
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to every ambient coordinate, >= 0.
    random_state : int, RandomState instance or None, default=None
        Seed or generator of the isometry, the samples and the noise.
        None draws fresh entropy; numpy's global random state is never used.
    return_space : bool, default=False
        If True, also return the :class:`StratifiedSpace`.

    Returns
    -------
    X : ndarray of shape (n_samples, ambient_dim)
        The points, shuffled.
    y : ndarray of shape (n_samples,)
        Label of the stratum each point was drawn from, in the order listed above.
    space : StratifiedSpace
        The placed strata; only returned if ``return_space`` is True.

    Examples
    --------
    >>> from sklearn_strata.datasets import make_sphere_line_cube
    >>> X, y, space = make_sphere_line_cube(300, random_state=0, return_space=True)
    >>> X.shape
    (300, 12)
    >>> space.strata_dims
    array([2, 1, 4])
    """
    offset = np.zeros(8)
    offset[5] = 5.0
    strata = [
        Sphere(2, radius=1.0, rotation=_axes(8, 0, 1, 2)),
        Segment(length=4.0, rotation=_axes(8, 2)),
        Cube(4, side=2.0, rotation=_axes(8, 4, 5, 6, 7), offset=offset),
    ]
    return _make_preset(
        strata,
        None,
        n_samples=n_samples,
        weights=weights,
        ambient_dim=ambient_dim,
        noise=noise,
        random_state=random_state,
        return_space=return_space,
    )


def make_scaled_strata(
    n_samples=1000,
    *,
    ambient_dim=10,
    weights=None,
    noise=0.0,
    random_state=None,
    return_space=False,
):
    """Sample strata of very different sizes: a large disk, a small circle, a short segment.

    Scales and sample shares differ by 10:1, so no single smoothing level suits them all.
    In the local ``R^3``: label 0 is the disk of radius 5 centered at the origin in the
    first two axes (dimension 2); label 1 is the circle of radius 0.5 centered at
    ``(12, 0, 0)`` in the first and third axes (dimension 1); label 2 is the segment of
    length 1 from ``(-12.5, 0, 0)`` to ``(-11.5, 0, 0)`` (dimension 1).

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, >= 1.
    ambient_dim : int, default=10
        Dimension ``D`` of the ambient space, at least 3. The preset is carried
        into ``R^D`` by a random isometry.
    weights : array-like of shape (3,), default=None
        Probability of each stratum; None means (10/12, 1/12, 1/12).
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to every ambient coordinate, >= 0.
    random_state : int, RandomState instance or None, default=None
        Seed or generator of the isometry, the samples and the noise.
        None draws fresh entropy; numpy's global random state is never used.
    return_space : bool, default=False
        If True, also return the :class:`StratifiedSpace`.

    Returns
    -------
    X : ndarray of shape (n_samples, ambient_dim)
        The points, shuffled.
    y : ndarray of shape (n_samples,)
        Label of the stratum each point was drawn from, in the order listed above.
    space : StratifiedSpace
        The placed strata; only returned if ``return_space`` is True.

    Examples
    --------
    >>> from sklearn_strata.datasets import make_scaled_strata
    >>> X, y, space = make_scaled_strata(240, random_state=0, return_space=True)
    >>> X.shape
    (240, 10)
    >>> space.strata_dims
    array([2, 1, 1])
    """
    strata = [
        Ball(2, radius=5.0, rotation=_axes(3, 0, 1)),
        Sphere(1, radius=0.5, rotation=_axes(3, 0, 2), offset=[12.0, 0.0, 0.0]),
        Segment(length=1.0, rotation=_axes(3, 0), offset=[-12.0, 0.0, 0.0]),
    ]
    return _make_preset(
        strata,
        (10 / 12, 1 / 12, 1 / 12),
        n_samples=n_samples,
        weights=weights,
        ambient_dim=ambient_dim,
        noise=noise,
        random_state=random_state,
        return_space=return_space,
    )

"""Preset stratified spaces from the stratified-learning literature.

Every preset is built in a small local frame (``R^2`` or ``R^3``), centered near the origin
with strata of extent about 2, then carried into ``R^ambient_dim`` by one random isometry
(so the data is not axis-aligned, whatever ``ambient_dim``).
"""

import numbers

import numpy as np

from ._make import make_stratified, random_isometry
from ._rng import check_random_state
from ._strata import (
    Ball,
    Cube,
    FigureEightKleinBottle,
    MobiusBand,
    Point,
    Segment,
    Sphere,
    ToroidalHelix,
    Torus,
)
from ._validation import (
    check_ambient_dim,
    check_dim,
    check_n_samples,
    check_noise,
    check_weights,
)


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


def make_crossing_circles(
    n_samples=1000,
    *,
    ambient_dim=3,
    angle=60.0,
    weights=None,
    noise=0.0,
    random_state=None,
    return_space=False,
):
    """Sample two unit circles that cross twice at a given angle.

    In the local ``R^3``: label 0 is the unit circle in the plane of the first two axes
    (dimension 1); label 1 is the same circle rotated by ``angle`` about the first axis
    (dimension 1). They cross at ``(1, 0, 0)`` and ``(-1, 0, 0)``, at ``angle`` degrees.

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, >= 1.
    ambient_dim : int, default=3
        Dimension ``D`` of the ambient space, at least 3. The preset is carried
        into ``R^D`` by a random isometry.
    angle : float, default=60.0
        Angle between the two circles where they cross, in degrees, in ``(0, 180)``.
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
    >>> from sklearn_strata.datasets import make_crossing_circles
    >>> X, y, space = make_crossing_circles(200, angle=45.0, random_state=0,
    ...                                     return_space=True)
    >>> space.strata_dims
    array([1, 1])
    """
    if not isinstance(angle, numbers.Real) or isinstance(angle, bool) or not 0.0 < angle < 180.0:
        raise ValueError(f"angle must be a number of degrees in (0, 180), got {angle!r}.")
    theta = np.deg2rad(angle)
    tilted = np.array([[1.0, 0.0], [0.0, np.cos(theta)], [0.0, np.sin(theta)]])
    strata = [
        Sphere(1, radius=1.0, rotation=_axes(3, 0, 1)),
        Sphere(1, radius=1.0, rotation=tilted),
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


def make_twisted_strata(
    n_samples=1000,
    *,
    ambient_dim=10,
    n_half_twists=3,
    n_turns=10,
    density_ratio=5.0,
    weights=None,
    noise=0.0,
    random_state=None,
    return_space=False,
):
    """Sample a twisted band crossed by a helix, sampled non-uniformly, and a ball.

    Curved, strongly twisted strata with a sampling density that varies along them. In the
    local ``R^3``, around the third axis: label 0 is a :class:`MobiusBand` of core radius 2
    and width 1 with ``n_half_twists`` half-twists (dimension 2; a Möbius band when odd);
    label 1 is a :class:`ToroidalHelix` winding ``n_turns`` times at distance 0.35 around
    the same core circle (dimension 1), which crosses the band ``|2 n_turns - n_half_twists|``
    times (17 for the defaults); label 2 is the ball of radius 0.5 at the center
    (dimension 3), 1 away from the band. The band and the helix are sampled with a density
    (for their area and length) proportional to ``1 + (density_ratio - 1) (1 + cos u) / 2``,
    ``u`` the angle around the third axis: ``density_ratio`` times denser at ``u = 0`` than
    at ``u = pi``. The ball is sampled uniformly.

    The distances to the band and the helix are numerical (see :class:`MobiusBand` and
    :class:`ToroidalHelix`): never below the exact ones, above them by at most the
    strata's ``distance_error_bound`` (about 0.012 and 0.002, in practice below
    ``1e-9``).

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, >= 1.
    ambient_dim : int, default=10
        Dimension ``D`` of the ambient space, at least 3. The preset is carried
        into ``R^D`` by a random isometry.
    n_half_twists : int, default=3
        Number of half-twists of the band, >= 1.
    n_turns : int, default=10
        Number of turns of the helix around the core circle, >= 1.
    density_ratio : float, default=5.0
        Ratio of the largest to the smallest sampling density on the band and the helix,
        >= 1 (1 samples them uniformly).
    weights : array-like of shape (3,), default=None
        Probability of each stratum; None means (0.5, 0.3, 0.2).
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
    >>> from sklearn_strata.datasets import make_twisted_strata
    >>> X, y, space = make_twisted_strata(300, random_state=0, return_space=True)
    >>> X.shape
    (300, 10)
    >>> space.strata_dims
    array([2, 1, 3])
    """
    frame = _axes(3, 0, 1, 2)
    strata = [
        MobiusBand(
            n_half_twists, radius=2.0, width=1.0, density_ratio=density_ratio, rotation=frame
        ),
        ToroidalHelix(n_turns, radii=(2.0, 0.35), density_ratio=density_ratio, rotation=frame),
        Ball(3, radius=0.5, rotation=frame),
    ]
    return _make_preset(
        strata,
        (0.5, 0.3, 0.2),
        n_samples=n_samples,
        weights=weights,
        ambient_dim=ambient_dim,
        noise=noise,
        random_state=random_state,
        return_space=return_space,
    )


def make_self_intersecting_surface(
    n_samples=1000,
    *,
    ambient_dim=10,
    with_segment=True,
    weights=None,
    noise=0.0,
    random_state=None,
    return_space=False,
):
    """Sample a Klein bottle immersed with a self-intersection, and a segment crossing it.

    In the local ``R^3``: label 0 is the figure-eight immersion of the Klein bottle
    (:class:`FigureEightKleinBottle`) with core radius 2 and figure-eight size 0.5 around
    the third axis (dimension 2). The surface crosses itself along its core circle (radius
    2 in the plane of the first two axes): there two sheets meet transversally, yet every
    point there is still a point of this one 2-dimensional stratum (label 0, truth 2).
    If ``with_segment``, label 1 is the segment from ``(2.25, 0, -1)`` to ``(2.25, 0, 1)``
    (dimension 1), which pierces the surface twice, at ``z = +-0.433``. The surface is
    sampled uniformly for its area.

    The distance to the surface is numerical (see :class:`FigureEightKleinBottle`): never
    below the exact one, above it by at most its ``distance_error_bound`` (about 0.022, in
    practice below ``1e-9``).

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, >= 1.
    ambient_dim : int, default=10
        Dimension ``D`` of the ambient space, at least 3. The preset is carried
        into ``R^D`` by a random isometry.
    with_segment : bool, default=True
        Whether to add the segment (label 1).
    weights : array-like of shape (n_strata,), default=None
        Probability of each stratum; None means (0.8, 0.2) with the segment.
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
    >>> from sklearn_strata.datasets import make_self_intersecting_surface
    >>> X, y, space = make_self_intersecting_surface(300, random_state=0, return_space=True)
    >>> X.shape
    (300, 10)
    >>> space.strata_dims
    array([2, 1])
    """
    if not isinstance(with_segment, (bool, np.bool_)):
        raise ValueError(f"with_segment must be a bool, got {with_segment!r}.")
    strata = [FigureEightKleinBottle(radii=(2.0, 0.5), rotation=_axes(3, 0, 1, 2))]
    default_weights = (1.0,)
    if with_segment:
        strata.append(Segment(length=2.0, rotation=_axes(3, 2), offset=[2.25, 0.0, 0.0]))
        default_weights = (0.8, 0.2)
    return _make_preset(
        strata,
        default_weights,
        n_samples=n_samples,
        weights=weights,
        ambient_dim=ambient_dim,
        noise=noise,
        random_state=random_state,
        return_space=return_space,
    )


def _check_strata_dims(strata_dims):
    try:
        dims = tuple(strata_dims)
    except TypeError as exc:
        raise ValueError(
            f"strata_dims must be a sequence of integers >= 1, got {strata_dims!r}."
        ) from exc
    if not dims:
        raise ValueError("strata_dims must hold at least one dimension.")
    return tuple(check_dim(dim, "strata_dims[i]") for dim in dims)


def make_high_dim_strata(
    n_samples=1000,
    *,
    strata_dims=(10, 1, 5),
    gap=0.0,
    ambient_dim=60,
    weights=None,
    noise=0.0,
    random_state=None,
    return_space=False,
):
    """Sample high-dimensional strata, alone or with low-dimensional ones.

    Label 0 is the solid cube ``[-1, 1]^d0`` of dimension ``d0 = strata_dims[0]``; every
    further label ``k`` is a unit sphere of dimension ``strata_dims[k]`` (a circle for 1)
    that touches a face of the cube at the face's center (or stays ``gap`` away from it).
    In the local ``R^n``, ``n = sum(strata_dims)``: the cube spans the first ``d0`` axes;
    sphere ``k`` spans axis ``j = (k - 1) mod d0`` of the cube and ``strata_dims[k]`` axes
    of its own, and is centered at ``+-(2 + gap)`` on axis ``j`` (``+`` for the first
    ``d0`` spheres, ``-`` for the next ``d0``, ...). The spheres stay apart from each
    other, except spheres on the same face (more than ``2 d0`` spheres), which meet at two
    points. ``strata_dims=(20,)`` gives a single 20-d cube; the default mixes a 10-d cube,
    a circle and a 5-sphere that touch it.

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, >= 1.
    strata_dims : sequence of int, default=(10, 1, 5)
        Intrinsic dimension of each stratum, each >= 1.
    gap : float, default=0.0
        Distance between the cube and each sphere, >= 0 (0: they touch).
    ambient_dim : int, default=60
        Dimension ``D`` of the ambient space, at least ``sum(strata_dims)``. The preset
        is carried into ``R^D`` by a random isometry.
    weights : array-like of shape (n_strata,), default=None
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
        Label of the stratum each point was drawn from, in the order of ``strata_dims``.
    space : StratifiedSpace
        The placed strata; only returned if ``return_space`` is True.

    Examples
    --------
    >>> from sklearn_strata.datasets import make_high_dim_strata
    >>> X, y, space = make_high_dim_strata(300, random_state=0, return_space=True)
    >>> X.shape
    (300, 60)
    >>> space.strata_dims
    array([10,  1,  5])
    >>> X, y = make_high_dim_strata(300, strata_dims=(20,), ambient_dim=80, random_state=0)
    >>> X.shape
    (300, 80)
    """
    dims = _check_strata_dims(strata_dims)
    if (
        not isinstance(gap, numbers.Real)
        or isinstance(gap, bool)
        or not np.isfinite(gap)
        or gap < 0
    ):
        raise ValueError(f"gap must be a finite number >= 0, got {gap!r}.")
    local_dim = sum(dims)
    cube_dim = dims[0]
    strata = [Cube(cube_dim, side=2.0, rotation=_axes(local_dim, *range(cube_dim)))]
    next_axis = cube_dim
    for k, dim in enumerate(dims[1:]):
        axis = k % cube_dim
        sign = 1.0 if (k // cube_dim) % 2 == 0 else -1.0
        offset = np.zeros(local_dim)
        offset[axis] = sign * (2.0 + gap)
        own = range(next_axis, next_axis + dim)
        strata.append(Sphere(dim, radius=1.0, rotation=_axes(local_dim, axis, *own), offset=offset))
        next_axis += dim
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

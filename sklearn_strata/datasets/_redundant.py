"""Redundant coordinates: constant columns and copies of existing columns."""

import numbers

import numpy as np
from sklearn.utils import check_array

from ._rng import check_random_state


def _check_count(value, name):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}.")
    return int(value)


def add_redundant_columns(
    X,
    n_constant=2,
    n_duplicated=3,
    *,
    rescale=True,
    random_state=None,
    return_sources=False,
):
    """Append constant columns and copies of existing columns to ``X``.

    The data keeps its geometry (and every point its stratum and true dimension), but
    gains coordinates of zero variance and exactly collinear pairs of coordinates, which
    trip up estimators that standardize features or invert covariances. The first
    ``n_features`` columns of the result are ``X``; the next ``n_constant`` are constant
    (each a value drawn uniformly from ``[-1, 1]``); the last ``n_duplicated`` are copies
    of columns of ``X`` drawn at random (without replacement while there are enough),
    each multiplied by a factor drawn uniformly from ``[0.5, 2]`` with a random sign if
    ``rescale``, else exact copies.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data, e.g. from a ``make_*`` preset (noise included).
    n_constant : int, default=2
        Number of constant columns, >= 0.
    n_duplicated : int, default=3
        Number of copied columns, >= 0.
    rescale : bool, default=True
        Whether the copies are multiplied by a random factor.
    random_state : int, RandomState instance or None, default=None
        Seed or generator of the constants, the copied columns and the factors.
        None draws fresh entropy; numpy's global random state is never used.
    return_sources : bool, default=False
        If True, also return where every added column comes from.

    Returns
    -------
    X_new : ndarray of shape (n_samples, n_features + n_constant + n_duplicated)
        ``X`` followed by the constant and the copied columns.
    sources : ndarray of shape (n_constant + n_duplicated,)
        Index in ``X`` of the column each added column copies, -1 for the constant
        columns; only returned if ``return_sources`` is True.

    Examples
    --------
    >>> from sklearn_strata.datasets import add_redundant_columns, make_sphere_line_cube
    >>> X, y = make_sphere_line_cube(200, random_state=0)
    >>> X_new, sources = add_redundant_columns(X, random_state=0, return_sources=True)
    >>> X_new.shape
    (200, 17)
    >>> sources[:2]
    array([-1, -1])
    """
    X = check_array(X, dtype=[np.float64, np.float32])
    n_constant = _check_count(n_constant, "n_constant")
    n_duplicated = _check_count(n_duplicated, "n_duplicated")
    if not isinstance(rescale, (bool, np.bool_)):
        raise ValueError(f"rescale must be a bool, got {rescale!r}.")
    rng = check_random_state(random_state)
    n_samples, n_features = X.shape

    constants = rng.uniform(-1.0, 1.0, size=n_constant)
    sources = rng.choice(n_features, size=n_duplicated, replace=n_duplicated > n_features)
    factors = np.ones(n_duplicated)
    if rescale:
        signs = np.where(rng.uniform(size=n_duplicated) < 0.5, -1.0, 1.0)
        factors = signs * rng.uniform(0.5, 2.0, size=n_duplicated)
    X_new = np.concatenate(
        [
            X,
            np.broadcast_to(constants, (n_samples, n_constant)).astype(X.dtype),
            (X[:, sources] * factors).astype(X.dtype),
        ],
        axis=1,
    )
    if return_sources:
        return X_new, np.concatenate([np.full(n_constant, -1), sources]).astype(int)
    return X_new

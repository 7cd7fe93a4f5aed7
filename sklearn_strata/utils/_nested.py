"""The one rule by which an estimator uses another it was given."""

from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted


def is_fitted(estimator):
    """Whether ``estimator`` passes :func:`~sklearn.utils.validation.check_is_fitted`."""
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


def fit_nested(estimator, X, seed, default):
    """Fit a nested estimator on ``X``, or reuse it when it is already fitted.

    - ``None``: ``default(seed)`` is built and fitted.
    - A fitted estimator (a :class:`sklearn.frozen.FrozenEstimator` included) is used as
      it is, never refitted: it holds a model of a distribution, and the caller applies
      that model to ``X`` through its public methods (never through per-row attributes
      from the data it was fitted on).
    - An unfitted estimator is cloned, given ``seed`` as its ``random_state`` when it has
      one left at ``None`` (so the outer ``random_state`` seeds everything inside), and
      fitted on ``X``.

    Parameters
    ----------
    estimator : estimator object or None
        The estimator the user passed.
    X : ndarray of shape (n_samples, n_features)
        Training data.
    seed : int
        Seed of the nested estimator's randomness.
    default : callable
        ``default(seed)`` returns the unfitted estimator to use when ``estimator`` is None.

    Returns
    -------
    fitted : estimator object
    """
    if estimator is None:
        return default(seed).fit(X)
    if is_fitted(estimator):
        return estimator
    estimator = clone(estimator)
    params = estimator.get_params(deep=False)
    if "random_state" in params and params["random_state"] is None:
        estimator.set_params(random_state=seed)
    return estimator.fit(X)

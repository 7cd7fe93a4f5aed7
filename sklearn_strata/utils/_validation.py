"""Checks and guards shared by the estimators' ``fit`` methods."""

import functools

from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions


def check_no_bool_numbers(estimator):
    """Reject ``True``/``False`` for a numeric parameter.

    ``bool`` is a subclass of ``int`` in Python, so scikit-learn's ``Interval``
    constraints let ``hidden_width=True`` through; it is almost surely a mistake.

    Parameters
    ----------
    estimator : estimator instance
        Estimator with a ``_parameter_constraints`` dict.

    Raises
    ------
    InvalidParameterError
        If a parameter whose constraints are only numeric intervals, string options or
        ``None`` is a bool.
    """
    for name, constraints in estimator._parameter_constraints.items():
        value = getattr(estimator, name, None)
        numeric = any(isinstance(c, Interval) for c in constraints) and all(
            c is None or isinstance(c, Interval | StrOptions) for c in constraints
        )
        if numeric and isinstance(value, bool):
            raise InvalidParameterError(
                f"The {name!r} parameter of {type(estimator).__name__} must be a number, "
                f"not a bool. Got {value!r} instead."
            )


def rollback_on_error(fit):
    """Decorate a ``fit`` method so that a failed or interrupted fit changes nothing.

    If ``fit`` raises anything (a ``ValueError`` on bad data, a ``FloatingPointError``
    when training diverges, a ``KeyboardInterrupt``), the estimator's attributes are
    restored to what they were before the call: an unfitted estimator stays unfitted
    and a fitted one keeps its previous, consistent model.
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        saved = dict(self.__dict__)
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    return wrapper

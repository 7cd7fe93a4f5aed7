"""Parsimonious choice among sieve candidates: the one-standard-error rule."""

import numpy as np


def _complexity(latent_dims):
    """Total latent dimension, then number of components (fewer is simpler)."""
    if isinstance(latent_dims, str):
        return (np.inf, np.inf)
    dims = [int(d) for d in latent_dims]
    return (sum(dims), len(dims))


def one_standard_error_refit(cv_results):
    """Index of the simplest ``latent_dims`` whose held-out score is within one standard error.

    Nested sieve candidates (``[2, 1]``, ``[3, 1]``, ``[2, 2]`` on a disk with a stick) fit
    held-out data about equally well once they contain the truth: the larger ones only
    add latent directions the data do not use. Among the candidates whose mean
    cross-validated score is within one standard error of the best one, this picks the
    one with the smallest total latent dimension (then the fewest components). Pass it as
    ``GridSearchCV(..., refit=one_standard_error_refit)``.

    Parameters
    ----------
    cv_results : dict of numpy (masked) ndarrays
        The ``cv_results_`` of a ``GridSearchCV`` over ``latent_dims`` of
        :class:`~sklearn_strata.StratifiedVAEMixture`.

    Returns
    -------
    best_index : int
        Index into ``cv_results["params"]`` of the chosen candidate.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_strata.mixture import one_standard_error_refit
    >>> cv_results = {
    ...     "params": [{"latent_dims": [1, 1]}, {"latent_dims": [2, 1]},
    ...                {"latent_dims": [3, 1]}],
    ...     "mean_test_score": np.array([15.9, 24.5, 24.6]),
    ...     "std_test_score": np.array([0.3, 0.2, 0.2]),
    ...     "split0_test_score": np.zeros(3), "split1_test_score": np.zeros(3),
    ...     "split2_test_score": np.zeros(3),
    ... }
    >>> one_standard_error_refit(cv_results)
    1
    """
    scores = np.asarray(cv_results["mean_test_score"], dtype=float)
    if not np.isfinite(scores).any():
        raise ValueError("No candidate has a finite mean test score.")
    n_splits = sum(1 for key in cv_results if key.startswith("split") and key.endswith(
        "_test_score"))
    std = np.asarray(cv_results["std_test_score"], dtype=float)
    best = int(np.nanargmax(scores))
    threshold = scores[best] - std[best] / np.sqrt(max(n_splits, 1))
    eligible = np.flatnonzero(scores >= threshold)
    complexities = [
        _complexity(cv_results["params"][i].get("latent_dims", "auto")) for i in eligible
    ]
    order = sorted(range(len(eligible)), key=lambda j: (complexities[j], -scores[eligible[j]]))
    return int(eligible[order[0]])

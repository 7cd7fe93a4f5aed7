"""Baseline for the strata benchmark: scikit-dimension's pointwise lPCA in our graph procedure.

``SkdimLocalPCA`` is a thin dimension estimator around ``skdim.id.lPCA().fit_pw`` (rounded
local dimensions) that :class:`sklearn_strata.strata.StratumCounter` accepts as its
``dimension_estimator``; the graph procedure is then the same as for the score-based
dimensions, so the comparison isolates the dimension estimate. Tangent spaces come from the
counter's local PCA.

    >>> from benchmarks._skdim_baseline import skdim_stratum_counter
    >>> counter = skdim_stratum_counter(n_neighbors_pca=20).fit(X)  # doctest: +SKIP
"""

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_strata.strata import StratumCounter


class SkdimLocalPCA(BaseEstimator):
    """Pointwise intrinsic dimension from scikit-dimension's ``lPCA`` (rounded).

    Parameters
    ----------
    n_neighbors : int, default=20
        Neighborhood size of every local PCA (``fit_pw(X, n_neighbors=...)``).
    ver : str, default="FO"
        ``lPCA`` rule for counting the significant eigenvalues.

    Attributes
    ----------
    dimension_pw_ : ndarray of shape (n_samples,)
        Rounded local dimension of every training point.
    dimension_ : float
        Median of ``dimension_pw_``.
    n_features_in_ : int
        Number of features seen during fit.
    """

    def __init__(self, n_neighbors=20, ver="FO"):
        self.n_neighbors = n_neighbors
        self.ver = ver

    def fit(self, X, y=None):
        """Estimate the local dimension of every point of ``X``."""
        import skdim

        X = validate_data(self, X, dtype=np.float64)
        k = min(self.n_neighbors, X.shape[0] - 1)
        est = skdim.id.lPCA(ver=self.ver, verbose=False).fit_pw(X, n_neighbors=k)
        self.dimension_pw_ = np.rint(np.asarray(est.dimension_pw_, dtype=float))
        self.dimension_ = float(np.median(self.dimension_pw_))
        self._X = X
        return self

    def transform(self, X):
        """Local dimensions of new points (lPCA on their training neighborhoods)."""
        import skdim

        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        k = min(self.n_neighbors, self._X.shape[0])
        idx = NearestNeighbors(n_neighbors=k).fit(self._X).kneighbors(X, return_distance=False)
        est = skdim.id.lPCA(ver=self.ver, verbose=False)
        dims = [est.fit(np.vstack([x, self._X[i]])).dimension_ for x, i in zip(X, idx, strict=True)]
        return np.rint(np.asarray(dims, dtype=float))[:, None]


def skdim_stratum_counter(n_neighbors_pca=20, **counter_params):
    """A :class:`StratumCounter` whose local dimensions come from scikit-dimension's lPCA.

    Parameters
    ----------
    n_neighbors_pca : int, default=20
        Neighborhood size of the pointwise lPCA.
    **counter_params
        Passed on to :class:`StratumCounter` (``n_neighbors``, ``tangent_split``, ...).

    Returns
    -------
    counter : StratumCounter
        Unfitted; ``fit(X)`` runs lPCA, then the graph procedure.
    """
    return StratumCounter(
        dimension_estimator=SkdimLocalPCA(n_neighbors=n_neighbors_pca),
        tangent_source="local_pca",
        **counter_params,
    )

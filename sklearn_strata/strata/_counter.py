"""StratumCounter: number, dimensions, weights and members of the strata."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, _fit_context
from sklearn.utils import deprecated
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils import fit_nested, is_fitted, spawn_seeds
from ..utils._validation import check_no_bool_numbers, rollback_on_error
from ._graph import (
    _kneighbors,
    assign_strata,
    find_strata,
    labelled_index,
    local_pca_tangents,
    neighbor_scale,
    round_dimensions,
)


def _default_dimension_estimator(seed):
    from ..dimension import ScoreDimensionEstimator

    return ScoreDimensionEstimator(random_state=seed)


class StratumCounter(ClusterMixin, BaseEstimator):
    """Count the strata of a stratified space, with their dimensions, weights and members.

    Every point gets a local intrinsic dimension from a dimension estimator (by default a
    :class:`~sklearn_strata.dimension.ScoreDimensionEstimator`). A k-nearest-neighbor graph
    keeps only edges between points of equal (rounded) dimension and, with
    ``tangent_split=True``, only edges along which the tangent spaces turn by at most
    ``max_tangent_angle`` (that separates two strata of the same dimension that cross). Its
    connected components are the candidate strata; where strata of equal dimension cross
    (a ball a few neighbor distances wide spans one direction more than their dimension),
    the crossing is cut out and each stratum's arms are rejoined through it, best
    continuation first. Components of the same dimension that
    continue each other across a junction (a line cut in pieces where it pierces a sphere,
    a helix cut where it crosses a band, forgiving the turn of a curved stratum) are
    merged; a component that lines the inside of one of one dimension more (the shell of a
    ball, read one dimension less near its boundary) joins it; components smaller than
    ``min_stratum_size`` are junction artefacts and get the label ``-1``.

    Parameters
    ----------
    dimension_estimator : estimator object, default=None
        Gives the local dimensions: an object with ``fit(X)`` setting ``dimension_pw_``
        (one value per row) and ``transform(X)`` returning the local dimensions of new
        points; optionally ``tangent_spaces(X)`` returning orthonormal bases of shape
        ``(n_samples, n_features, n_features)``, most tangent direction first. ``None``
        builds a :class:`~sklearn_strata.dimension.ScoreDimensionEstimator` with its
        defaults, seeded from ``random_state``. An unfitted estimator is cloned (its
        ``random_state``, when left at ``None``, is seeded from this one) and fitted on
        ``X``. A fitted one (or a :class:`sklearn.frozen.FrozenEstimator`) is never
        refitted: its ``transform(X)`` gives the local dimensions, whatever data it was
        fitted on.
    n_neighbors : int, default=10
        Number of neighbors of every point in the graph (and in the local-PCA tangents).
    min_stratum_size : float or int, default=0.02
        Smallest stratum: a fraction of ``n_samples`` if a float in ``(0, 1)``, else a
        number of points. Smaller components are labelled ``-1``.
    tangent_split : bool, default=True
        Drop graph edges whose endpoints' tangent spaces have a largest principal angle
        above ``max_tangent_angle``; needed to separate crossing strata of equal dimension.
    max_tangent_angle : float, default=30.0
        Angle threshold in degrees, for the tangent split and for the junction merge.
    tangent_source : {"auto", "estimator", "local_pca"}, default="auto"
        Where tangent spaces come from: the dimension estimator's ``tangent_spaces``,
        local PCA of the ``n_neighbors`` nearest neighbors, or ``"auto"`` (the estimator's
        when it has ``tangent_spaces``, else local PCA).
    merge_radius : float, default=3.0
        Largest gap bridged by the junction merge, in units of the median distance to the
        ``n_neighbors``-th neighbor; ``0`` disables the merge.
    random_state : int, RandomState instance or None, default=None
        Seeds the default dimension estimator (and its score model), or an unfitted
        ``dimension_estimator`` whose own ``random_state`` is ``None``. Pass an int for
        reproducible results.

    Attributes
    ----------
    n_strata_ : int
        Number of strata found.
    strata_dims_ : ndarray of shape (`n_strata_`,)
        Dimension of every stratum (mode of its points' local dimensions).
    weights_ : ndarray of shape (`n_strata_`,)
        Fraction of the labelled training points in every stratum.
    labels_ : ndarray of shape (n_samples,)
        Stratum of every training point, ordered by decreasing size; ``-1`` for junction
        points.
    dimension_pw_ : ndarray of shape (n_samples,)
        Local dimension of every training point (rounded), as used for the graph; the
        name of :attr:`ScoreDimensionEstimator.dimension_pw_
        <sklearn_strata.dimension.ScoreDimensionEstimator.dimension_pw_>` and of
        scikit-dimension.
    local_dimensions_ : ndarray of shape (n_samples,)
        Deprecated alias of ``dimension_pw_``.

        .. deprecated:: 0.1
           ``local_dimensions_`` will be removed in a future version; use
           ``dimension_pw_``.
    dimension_estimator_ : estimator object
        The fitted dimension estimator.
    n_features_in_ : int
        Number of features seen during fit.

    See Also
    --------
    sklearn_strata.dimension.ScoreDimensionEstimator : Local dimensions from a score model.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> from sklearn_strata.strata import StratumCounter
    >>> class Known(BaseEstimator):
    ...     def fit(self, X, y=None):
    ...         self.dimension_pw_ = np.where(X[:, 1] == 0, 1.0, 2.0)
    ...         return self
    ...     def transform(self, X):
    ...         return np.where(X[:, 1] == 0, 1.0, 2.0)[:, None]
    >>> rng = np.random.default_rng(0)
    >>> plane = np.c_[rng.uniform(-1, 1, (300, 2)) + [0, 2], np.zeros(300)]
    >>> line = np.c_[rng.uniform(-1, 1, 100), np.zeros((100, 2))]
    >>> X = np.r_[plane, line]
    >>> counter = StratumCounter(dimension_estimator=Known()).fit(X)
    >>> counter.n_strata_, counter.strata_dims_, counter.weights_
    (2, array([2, 1]), array([0.75, 0.25]))
    >>> counter.predict([[0.0, 2.0, 0.0], [0.5, 0.0, 0.0], [9.0, 9.0, 9.0]])
    array([ 0,  1, -1])
    """

    _parameter_constraints: dict = {
        "dimension_estimator": [HasMethods(["fit", "transform"]), None],
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "min_stratum_size": [
            Interval(numbers.Real, 0, 1, closed="neither"),
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
        "tangent_split": ["boolean"],
        "max_tangent_angle": [Interval(numbers.Real, 0, 90, closed="both")],
        "tangent_source": [StrOptions({"auto", "estimator", "local_pca"})],
        "merge_radius": [Interval(numbers.Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        dimension_estimator=None,
        *,
        n_neighbors=10,
        min_stratum_size=0.02,
        tangent_split=True,
        max_tangent_angle=30.0,
        tangent_source="auto",
        merge_radius=3.0,
        random_state=None,
    ):
        self.dimension_estimator = dimension_estimator
        self.n_neighbors = n_neighbors
        self.min_stratum_size = min_stratum_size
        self.tangent_split = tangent_split
        self.max_tangent_angle = max_tangent_angle
        self.tangent_source = tangent_source
        self.merge_radius = merge_radius
        self.random_state = random_state

    def _local_dimensions(self, X):
        """Fit or reuse the dimension estimator; return it and the dimensions of ``X``."""
        estimator = self.dimension_estimator
        reused = estimator is not None and is_fitted(estimator)
        (seed,) = spawn_seeds(self.random_state, 1)
        estimator = fit_nested(estimator, X, seed, _default_dimension_estimator)
        if reused:
            return estimator, np.asarray(estimator.transform(X), dtype=float).ravel()
        return estimator, np.asarray(estimator.dimension_pw_, dtype=float).ravel()

    def _tangents(self, X):
        source = self.tangent_source
        has = hasattr(self.dimension_estimator_, "tangent_spaces")
        if source == "estimator" and not has:
            raise ValueError(
                "tangent_source='estimator' needs a dimension estimator with a "
                f"tangent_spaces method; {type(self.dimension_estimator_).__name__} has none."
            )
        if source == "estimator" or (source == "auto" and has):
            return np.asarray(self.dimension_estimator_.tangent_spaces(X), dtype=float)
        return local_pca_tangents(X, self.n_neighbors)

    # the dimension estimator is a nested estimator that validates its own parameters
    @_fit_context(prefer_skip_nested_validation=False)
    @rollback_on_error
    def fit(self, X, y=None):
        """Find the strata of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : StratumCounter
            The fitted estimator.
        """
        check_no_bool_numbers(self)
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        self.dimension_estimator_, dims = self._local_dimensions(X)
        dims = round_dimensions(dims, X.shape[1])
        if dims.shape[0] != X.shape[0]:
            raise ValueError(
                f"The dimension estimator gave {dims.shape[0]} local dimensions for "
                f"{X.shape[0]} samples."
            )
        tangents = self._tangents(X) if self.tangent_split else None
        # One neighbor search serves the graph, the junction merge and the predict radius.
        distances, neighbors = _kneighbors(X, self.n_neighbors)
        labels, strata_dims, weights = find_strata(
            X,
            dims,
            n_neighbors=self.n_neighbors,
            min_stratum_size=self.min_stratum_size,
            tangents=tangents,
            max_tangent_angle=self.max_tangent_angle if self.tangent_split else None,
            merge_radius=self.merge_radius,
            kneighbors=(distances, neighbors),
        )
        self.dimension_pw_ = dims
        self.labels_ = labels
        self.strata_dims_ = strata_dims
        self.weights_ = weights
        self.n_strata_ = int(strata_dims.shape[0])
        self._index, self._indexed_labels = labelled_index(X, labels, self.n_neighbors)
        self._radius = 2.0 * neighbor_scale(X, self.n_neighbors, distances)
        return self

    # TODO: remove the deprecated alias in a future version.
    @deprecated(
        "Attribute `local_dimensions_` was renamed `dimension_pw_` and will be removed in "
        "a future version; use `dimension_pw_`."
    )
    @property
    def local_dimensions_(self):
        return self.dimension_pw_

    def fit_predict(self, X, y=None):
        """Find the strata of ``X`` and return the training labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Stratum of every point, ``-1`` for junction points.
        """
        return self.fit(X).labels_

    def predict(self, X):
        """Stratum of new points from their nearest labelled training points.

        The ``n_neighbors`` nearest labelled training points within twice the typical
        ``n_neighbors``-th neighbor distance vote; points with no such neighbor get ``-1``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New points.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Stratum of every point, ``-1`` when no labelled training point is near.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return assign_strata(self._index, self._indexed_labels, X, radius=self._radius)

"""ScoreDimensionEstimator: local intrinsic dimension read off a learned score field."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..diffusion import ScoreDiffusionDensity
from ..utils import draw_seed, iter_batches, make_generator, to_tensor
from ..utils._validation import check_no_bool_numbers, rollback_on_error
from ._noise_level import candidate_levels, nearest_neighbour_spacing, select_level
from ._readings import (
    denoiser_jacobian,
    flipd_dimension,
    jacobian_rank_dimension,
    normal_bundle_dimension,
    tangent_spectrum,
)

_BATCH = 256
_MAX_LEVEL_SELECTION_POINTS = 600


class ScoreDimensionEstimator(TransformerMixin, BaseEstimator):
    """Local intrinsic dimension of every point, read off a diffusion model's score field.

    Near a stratum of dimension ``d`` and at a small smoothing level ``sigma`` the score
    ``s = grad log p_sigma`` points along the ``D - d`` normal directions and is of order
    ``1 / sigma**2`` there, while it stays of order one along the stratum. The estimator
    reads ``d`` off the learned field in one of three ways:

    - ``"jacobian"``: the eigenvalues of ``-sigma**2 sym(grad s)`` are close to 1 on
      normal and 0 on tangent directions; ``d`` counts those below 1/2.
    - ``"flipd"`` (Kamkari et al., 2024): ``d = D + sigma**2 (tr grad s + ||s||**2)``.
    - ``"normal_bundle"`` (Stanczuk et al., 2024): the rank of the scores of ``K``
      perturbed copies ``x + sigma z`` is ``D - d``.

    Parameters
    ----------
    score_model : ScoreDiffusionDensity or None, default=None
        The diffusion model. ``None`` fits a ``ScoreDiffusionDensity`` with default
        parameters and this estimator's ``random_state``; a fitted model is reused as is;
        an unfitted one is cloned and fitted on ``X``.
    method : {"jacobian", "flipd", "normal_bundle"}, default="jacobian"
        How the dimension is read off the score field (the benchmark in
        ``benchmarks/bench_dimension.py`` compares them).
    noise_level : "auto" or float, default="auto"
        Smoothing level ``sigma`` in the units of ``X``. ``"auto"`` reads the dimensions
        on a grid of levels from below the data's neighbour spacing upwards and keeps the
        level where the readings are cleanest: the largest 10th percentile of the margins
        between the readings and their rounding threshold (see ``noise_level_curve_``).
    n_probes : int or "auto", default="auto"
        Perturbed copies per point for ``method="normal_bundle"``; ``"auto"`` is ``4 D``.
    random_state : int, RandomState instance or None, default=None
        Seeds the default score model and the probes of ``"normal_bundle"``.

    Attributes
    ----------
    score_model_ : ScoreDiffusionDensity
        The fitted diffusion model whose score field is read.
    noise_level_ : float
        Smoothing level used, in the units of ``X``.
    noise_level_curve_ : dict
        With ``noise_level="auto"``: ``"levels"`` (candidate levels, units of ``X``),
        ``"mean_dimension"`` (mean estimate at each level on a subsample),
        ``"stability"`` (fraction of points whose estimate is unchanged at the next
        level) and ``"margin"`` (10th percentile of the distances of the readings to
        their rounding threshold, largest where the readings are cleanest). Empty when
        the level is given.
    dimension_pw_ : ndarray of shape (n_samples,)
        Local dimension of each training point (integers stored as floats).
    dimension_ : float
        Most frequent local dimension of the training points.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    See Also
    --------
    ScoreDiffusionDensity : The diffusion model that supplies the score field.
    StratumCounter : Number, dimensions and membership of strata from local dimensions.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_strata import ScoreDiffusionDensity, ScoreDimensionEstimator
    >>> rng = np.random.RandomState(0)
    >>> angle = rng.uniform(0, 2 * np.pi, 300)
    >>> X = np.c_[np.cos(angle), np.sin(angle), np.zeros(300)]
    >>> model = ScoreDiffusionDensity(max_epochs=5, random_state=0)
    >>> estimator = ScoreDimensionEstimator(model, noise_level=0.1).fit(X)
    >>> estimator.transform(X[:2]).shape
    (2, 1)
    """

    _parameter_constraints: dict = {
        "score_model": [HasMethods(["fit", "score_field"]), None],
        "method": [StrOptions({"jacobian", "flipd", "normal_bundle"})],
        "noise_level": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "n_probes": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        score_model=None,
        *,
        method="jacobian",
        noise_level="auto",
        n_probes="auto",
        random_state=None,
    ):
        self.score_model = score_model
        self.method = method
        self.noise_level = noise_level
        self.n_probes = n_probes
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    @rollback_on_error
    def fit(self, X, y=None):
        """Fit (or reuse) the score model and estimate the dimension of every point.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : ScoreDimensionEstimator
            The fitted estimator.
        """
        check_no_bool_numbers(self)
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        self._seed = draw_seed(self.random_state)
        self.score_model_ = self._fitted_score_model(X)
        if self.score_model_.n_features_in_ != X.shape[1]:
            raise ValueError(
                f"score_model was fitted on {self.score_model_.n_features_in_} features but X "
                f"has {X.shape[1]} features."
            )
        scale = self.score_model_.scale_
        Z = self.score_model_._standardise(X)
        if self.noise_level == "auto":
            level = self._select_level(Z)
        else:
            level = float(self.noise_level) / scale
            self.noise_level_curve_ = {}
        self.noise_level_ = level * scale
        self._level = level
        self.dimension_pw_ = self._dimensions(Z, level)
        values, counts = np.unique(self.dimension_pw_, return_counts=True)
        self.dimension_ = float(values[np.argmax(counts)])
        return self

    def _fitted_score_model(self, X):
        model = self.score_model
        if model is None:
            return ScoreDiffusionDensity(random_state=self.random_state).fit(X)
        if hasattr(model, "net_"):
            return model
        return clone(model).fit(X)

    def _select_level(self, Z):
        rng = np.random.RandomState(self._seed)
        rows = rng.permutation(Z.shape[0])[:_MAX_LEVEL_SELECTION_POINTS]
        spacing = nearest_neighbour_spacing(Z, seed=self._seed)
        min_level = self.score_model_.min_noise_level_ / self.score_model_.scale_
        levels = candidate_levels(spacing, min_level)
        readings = [self._dimensions(Z[rows], level, return_margin=True) for level in levels]
        dimensions = np.stack([dims for dims, _ in readings])
        margins = np.stack([margin for _, margin in readings])
        index, stability, low_margin = select_level(dimensions, margins, Z.shape[1])
        scale = self.score_model_.scale_
        self.noise_level_curve_ = {
            "levels": levels * scale,
            "mean_dimension": dimensions.mean(axis=1),
            "stability": stability,
            "margin": low_margin,
        }
        return float(levels[index])

    def _dimensions(self, Z, level, return_margin=False, standardised=True):
        """Rounded local dimensions of points at a standardised level.

        ``Z`` is standardised, or raw ``X`` with ``standardised=False`` (then each batch is
        standardised on its own, so no full copy of ``X`` is made).
        """
        module = self.score_model_._module
        device = self.score_model_.device_
        n_features = Z.shape[1]
        if self.method == "normal_bundle":
            n_probes = 4 * n_features if self.n_probes == "auto" else self.n_probes
            generator = make_generator(self._seed + 1, device)
            directions = torch.randn(
                (n_probes, n_features), generator=generator, device=device
            )
        out = np.empty(Z.shape[0])
        margin = np.empty(Z.shape[0])
        for rows in iter_batches(Z.shape[0], _BATCH, device):
            block = Z[rows] if standardised else self.score_model_._standardise(Z[rows])
            y = to_tensor(block, device)
            if self.method == "jacobian":
                estimate, confidence = jacobian_rank_dimension(module, y, level)
            elif self.method == "flipd":
                estimate, confidence = flipd_dimension(module, y, level)
            else:
                estimate, confidence = normal_bundle_dimension(module, y, level, directions)
            out[rows] = estimate.detach().cpu().numpy()
            margin[rows] = confidence.detach().cpu().numpy()
        dimensions = np.clip(np.round(out), 0, n_features)
        return (dimensions, margin) if return_margin else dimensions

    def _check_input(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=np.float64, reset=False)

    def transform(self, X):
        """Local intrinsic dimension of each point.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to evaluate.

        Returns
        -------
        dimensions : ndarray of shape (n_samples, 1)
            Local dimension of each point (integers stored as floats).
        """
        X = self._check_input(X)
        return self._dimensions(X, self._level, standardised=False)[:, None]

    def tangent_spaces(self, X):
        """Orthonormal frames ordered from the most tangent to the most normal direction.

        The columns are the eigenvectors of ``-sigma**2 sym(grad s)`` at each point sorted
        by increasing eigenvalue, so the tangent space of a point of local dimension ``d``
        is spanned by its first ``d`` columns.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to evaluate.

        Returns
        -------
        frames : ndarray of shape (n_samples, n_features, n_features)
            One orthonormal frame per point (columns), in the coordinates of ``X``.
        """
        X = self._check_input(X)
        Z = self.score_model_._standardise(X)
        module = self.score_model_._module
        device = self.score_model_.device_
        out = np.empty((Z.shape[0], Z.shape[1], Z.shape[1]))
        for rows in iter_batches(Z.shape[0], _BATCH, device):
            jacobian = denoiser_jacobian(module, to_tensor(Z[rows], device), self._level)
            _, vectors = tangent_spectrum(jacobian.detach())
            out[rows] = vectors.cpu().numpy()
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags

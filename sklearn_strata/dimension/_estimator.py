"""ScoreDimensionEstimator: local intrinsic dimension read off a learned score field."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import gen_batches
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..diffusion import ScoreDiffusionDensity
from ..utils import fit_nested, spawn_seeds
from ..utils._validation import check_no_bool_numbers, rollback_on_error
from ._confidence import (
    AGREEMENT_NEIGHBORS,
    RELIABLE,
    agreement_confidence,
    collapsed,
    degenerate_level,
    denoising_gain,
    field_is_reliable,
    is_linear,
    over_read,
    persistence_level,
    reads_whole_span,
    resolve_readings,
    warn_if_linear,
    warn_if_span_read,
    warn_if_unreliable,
)
from ._level_span import (
    SAMPLING_SPAN_NEIGHBORS,
    SPAN_NEIGHBORS,
    sampling_span_corrections,
    span_corrections,
    spans_as_many,
    spans_no_more,
)
from ._noise_level import (
    LEVEL_NEIGHBORS,
    candidate_levels,
    max_reading_level,
    nearest_neighbor_spacing,
    select_level,
)
from ._readings import (
    flipd_dimension,
    jacobian_rank_dimension,
    normal_bundle_dimension,
    tangent_spectrum,
)
from ._reference import (
    NeighborDistanceReference,
    ambient_noise_std,
    noise_free_span,
    noise_reach,
)

# Rows read at once: each holds a D x D Jacobian and its eigenvectors in float64, 32 MiB
# per array at most. Up to 2,048 rows, fewer calls save a tenth of the reading in R^10.
_READING_FLOATS = 2**22
_MAX_READING_BATCH = 2048
_MAX_LEVEL_SELECTION_POINTS = 600
# Share of the nearest training points that must read the same for the data's span to
# confirm a reading above the reference (see ScoreDimensionEstimator._over_confirmed).
_CONFIRMING_SHARE = 0.6


def _reading_batch(n_features):
    """Rows of ``n_features`` columns read at once."""
    return int(np.clip(_READING_FLOATS // n_features**2, 1, _MAX_READING_BATCH))


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
        parameters but ``early_stopping=False`` (the full training reads sparse data
        better), seeded from this estimator's ``random_state``. A fitted model (or a
        :class:`sklearn.frozen.FrozenEstimator`) is reused as is, through its public
        methods ``denoise`` and ``denoiser_jacobian``; an unfitted one is cloned (its
        ``random_state``, when ``None``, seeded from this one) and fitted on ``X``.
    method : {"jacobian", "flipd", "normal_bundle"}, default="jacobian"
        How the dimension is read off the score field (the benchmark in
        ``benchmarks/bench_dimension.py`` compares them).
    noise_level : "auto" or float, default="auto"
        Smoothing level ``sigma`` in the units of ``X``. ``"auto"`` reads the dimensions
        on a grid of levels from below the data's neighbor spacing upwards and keeps the
        level where the readings are cleanest: the largest 10th percentile of the margins
        between the readings and their rounding threshold (see ``noise_level_curve_``).
    n_probes : int or "auto", default="auto"
        Perturbed copies per point for ``method="normal_bundle"``; ``"auto"`` is ``4 D``.
    random_state : int, RandomState instance or None, default=None
        Seeds the default score model, the level selection's subsample and the probes of
        ``"normal_bundle"`` (independent streams).

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
        Local dimension of each training point (integers stored as floats): the score
        field's reading, with the rounded ``reference_dimension_pw_`` (and confidence 0)
        instead in two cases. (a) The reading exceeds the reference by more than
        ``0.5 + 0.2 * reference`` and so do at least 80% of the point's 50 nearest
        neighbors: a stratum read at a level too coarse for it (a small circle beside a
        large disk, a tightly wound helix). (b) The field is not reliable
        (``field_reliable_`` is False) and either the reading lies below the reference by
        more than ``0.5 + 0.15 * reference`` (``1 + 0.4 * reference`` when ambient noise
        was detected, which inflates the reference) where the point's second neighbor lies
        beyond the reach of the ambient noise (estimated from the trailing principal
        variances; within it the neighbor distances measure the noise): a stratum of high
        dimension for the sample size, whose readings collapse towards 0; or the reading
        is the number of directions the data span and exceeds the reference by more than
        ``0.5 + 0.2 * reference``: the field resolved no normal direction there.
    dimension_confidence_ : ndarray of shape (n_samples,)
        Reliability of each training point's dimension, in ``[0, 1]``: the margin of
        the field's reading from its rounding threshold over 0.3, capped at 1 (so a
        reading is reliable, at 0.5 or more, when every eigenvalue lies outside
        ``[0.35, 0.65]``); 0 where the reading exceeds ``reference_dimension_pw_`` by more than
        ``0.5 + 0.2 * reference`` (a stratum read at a level too coarse for it) and where
        the reference replaced it; and at most ``(share - 0.6) / 0.4``, where ``share`` is
        the fraction of the point's 20 nearest training points (itself included) with
        the same dimension (readings that flip between neighbors). On data with ambient
        noise and ``noise_level="auto"``, also 0 where the reading changes at the
        largest candidate level below ``noise_level_ / 1.8`` and above twice the noise's
        standard deviation: blurring only lowers a stratum's reading, so a reading that
        rises there shows a stratum blurred into a lower-dimensional shape (a torus read
        as its core circle). Also 0 where the training points within three times
        ``noise_level_`` of the point span fewer directions (each with a standard
        deviation above a sixth of that neighborhood's radius) than the point reads,
        while enough of them lie there to span every direction of the reading: the
        network smeared a stratum it has not learned finely enough (a small circle beside
        a large disk read 2), and ``dimension_pw_`` holds their count there. Also 0
        where a dimension up to 3 below 0.5 (a junction read with both strata's
        directions) exceeds the count of directions its 10 and its 20 nearest training
        points both span, which ``dimension_pw_`` then holds.
        Points at or above 0.5 are reliable;
        :meth:`confidence` gives the same for new points. ``fit`` warns when fewer than
        half of the training points are reliable (60% when ``field_reliable_`` is
        False).
    field_reliable_ : bool
        Whether the field reads cleanly as a whole: the 10th percentile of the training
        margins is at least 0.25, ``denoising_gain_`` at least 0.05, and fewer than 90% of
        the points read 0 (everything blurred into one blob) or the full ambient dimension.
        When False, each reading is checked against ``reference_dimension_pw_``; at such a
        degenerate level no reading counts as resolved.
    denoising_gain_ : float
        ``1 - E_model / E_linear``: how much smaller the learned denoiser's squared error
        is than the exact linear (Gaussian) denoiser's on the training points blurred at
        ``noise_level_``. Near 0 the field has learned nothing beyond the data's principal
        subspace (an under-trained model, or data filling a flat space), and ``fit``
        warns.
    reference_dimension_pw_ : ndarray of shape (n_samples,)
        Independent estimate of the local dimension from the distances to the neighbors:
        the maximum-likelihood TwoNN estimate (Facco et al., 2017) pooled over each
        point's 50 nearest training points, corrected for the sample size (it reads low
        above about 5 dimensions): mapped to the dimension of the standard normal whose
        as many points read the same on average.
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
        model_seed, probe_seed, level_seed = spawn_seeds(self.random_state, 3)
        self._probe_seed = probe_seed
        self.score_model_ = fit_nested(self.score_model, X, model_seed, self._default_model)
        if self.score_model_.n_features_in_ != X.shape[1]:
            raise ValueError(
                f"score_model was fitted on {self.score_model_.n_features_in_} features but X "
                f"has {X.shape[1]} features."
            )
        if self.noise_level == "auto":
            self.noise_level_ = self._select_level(X, level_seed)
        else:
            self.noise_level_ = float(self.noise_level)
            self.noise_level_curve_ = {}
        dimensions, margin = self._read(X, self.noise_level_)
        self._reference = NeighborDistanceReference().fit(X)
        self.reference_dimension_pw_ = self._reference.reference_
        self.denoising_gain_ = denoising_gain(self.score_model_, X, self.noise_level_, level_seed)
        # A level where nearly every point reads 0 (one blob) or the full ambient dimension
        # resolves no stratum.
        degenerate = degenerate_level(dimensions, X.shape[1])
        self._noise_reach = noise_reach(X)
        self._span = noise_free_span(X)
        self._persistence_level = None
        if self.noise_level == "auto":
            noise_std = ambient_noise_std(X)
            self._persistence_level = persistence_level(
                self.noise_level_curve_["levels"], self.noise_level_, noise_std
            )
        self.field_reliable_ = (
            field_is_reliable(margin, self.denoising_gain_) and not degenerate
        )
        self._reads_span = (
            self._noise_reach > 0
            and not self.field_reliable_
            and reads_whole_span(dimensions, self._span)
        )
        self._over_read = over_read(dimensions, self.reference_dimension_pw_)
        self._collapsed = collapsed(
            dimensions, self.reference_dimension_pw_,
            self._reference.sampling_scale_ > self._noise_reach, self._noise_reach > 0,
        )
        reference = self._reference
        self._sampling_span = True
        self._collapse_span = True
        self._confirmed_span = True
        self._training_readings = dimensions
        resolved, confidence = self._resolve(
            X, dimensions, margin, reference.reference_, reference.sampling_scale_,
            reference.indices_,
        )
        self.dimension_pw_, confidence = self._spanned(
            X, resolved, confidence, dimensions, reference.reference_
        )
        confidence = self._persisting(confidence, X, dimensions)
        self._agreement_neighbors = AGREEMENT_NEIGHBORS
        self.dimension_confidence_ = self._agreeing(
            confidence, self.dimension_pw_, reference.indices_
        )
        values, counts = np.unique(self.dimension_pw_, return_counts=True)
        self.dimension_ = float(values[np.argmax(counts)])
        warn_if_unreliable(
            self.dimension_confidence_, self.noise_level_curve_, self.field_reliable_
        )
        warn_if_linear(self.denoising_gain_, self.dimension_pw_)
        warn_if_span_read(self._reads_span, self._span, dimensions)
        return self

    def _default_model(self, seed):
        # The held-out check shortens the training of sparse data for the sake of their
        # log-likelihood; the readings of the mixed strata in R^60 with noise 0.05 went
        # from 0.758 to 0.575 exact with it (the points called reliable 1.000 and 0.56 right).
        return ScoreDiffusionDensity(early_stopping=False, random_state=seed)

    def _select_level(self, X, seed):
        rng = np.random.RandomState(seed)
        rows = rng.permutation(X.shape[0])[:_MAX_LEVEL_SELECTION_POINTS]
        spacing = nearest_neighbor_spacing(X, seed=seed)
        model = self.score_model_
        levels = candidate_levels(spacing, model.min_noise_level_, max_level=model.scale_)
        readings = [self._read(X[rows], level) for level in levels]
        dimensions = np.stack([dims for dims, _ in readings])
        margins = np.stack([margin for _, margin in readings])
        radius = nearest_neighbor_spacing(X, n_neighbors=LEVEL_NEIGHBORS, seed=seed)
        index, stability, low_margin = select_level(
            dimensions, margins, X.shape[1], levels=levels,
            max_level=max_reading_level(model.scale_, radius),
        )
        self.noise_level_curve_ = {
            "levels": levels,
            "mean_dimension": dimensions.mean(axis=1),
            "stability": stability,
            "margin": low_margin,
        }
        return float(levels[index])

    def _read(self, X, level):
        """Rounded local dimensions of points at a level (units of ``X``) and margins."""
        model = self.score_model_
        n_features = X.shape[1]
        if self.method == "normal_bundle":
            n_probes = 4 * n_features if self.n_probes == "auto" else self.n_probes
            directions = np.random.RandomState(self._probe_seed).standard_normal(
                (n_probes, n_features)
            )
        out = np.empty(X.shape[0])
        margin = np.empty(X.shape[0])
        for rows in gen_batches(X.shape[0], _reading_batch(X.shape[1])):
            if self.method == "jacobian":
                estimate, confidence = jacobian_rank_dimension(model, X[rows], level)
            elif self.method == "flipd":
                estimate, confidence = flipd_dimension(model, X[rows], level)
            else:
                estimate, confidence = normal_bundle_dimension(model, X[rows], level, directions)
            out[rows] = estimate
            margin[rows] = confidence
        return np.clip(np.round(out), 0, n_features), margin

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
        return self._resolved(X, with_confidence=False)[0][:, None]

    def _resolve(self, X, readings, margin, reference, sampling_scale, neighbors):
        """Final dimensions and confidences of readings, checked against the reference.

        Where the nearest neighbors lie within the reach of the ambient noise (a dense
        stratum), their distances measure the noise and the reference reads it as extra
        dimensions, so it may not overrule the field there (``beyond_noise``); nor where
        the nearest training points span no more directions than the reading
        (``_level_span.spans_no_more``).
        """
        beyond_noise = sampling_scale > self._noise_reach
        span = getattr(self, "_span", None)
        return resolve_readings(
            readings,
            margin,
            reference,
            beyond_noise,
            self.field_reliable_,
            noisy=self._noise_reach > 0,
            over_share=self._over_read[neighbors].mean(axis=1),
            # Fitted before the collapse of a reliable field was checked: no such flags.
            collapse_share=(
                self._collapsed[neighbors].mean(axis=1)
                if hasattr(self, "_collapsed") else None
            ),
            # A field reading the whole span nearly everywhere resolved no more than a
            # linear one (fitted before that check: no such flag).
            linear_field=is_linear(self.denoising_gain_) or getattr(self, "_reads_span", False),
            span=span,
            no_collapse=self._no_collapse(X, readings, reference, beyond_noise),
            over_confirmed=self._over_confirmed(X, readings, reference, span, neighbors),
        )

    def _nearest_training_points(self, X):
        """Indices of the ``SAMPLING_SPAN_NEIGHBORS`` nearest training points of rows."""
        points = self._reference.points_
        return self._reference.nn_.kneighbors(
            X, n_neighbors=min(max(SAMPLING_SPAN_NEIGHBORS), points.shape[0]),
            return_distance=False,
        )

    def _over_confirmed(self, X, readings, reference, span, neighbors):
        """Readings of noise-free data above the reference that the nearest training
        points confirm (see ``resolve_readings``).

        Their neighbors span as many directions (``spans_as_many``) and most of the
        ``AGREEMENT_NEIGHBORS`` nearest read the same: where two sheets of a surface cross,
        the neighbors span three directions too, but only a band reads 3 (the
        self-intersecting preset: at most half of the 20 nearest, against 90% at the
        median in the ball of the twisted preset).
        """
        training_readings = getattr(self, "_training_readings", None)
        if training_readings is None or self._noise_reach > 0:
            # Fitted before the check existed, or noisy data (see spans_as_many).
            return None
        confirmed = np.zeros(X.shape[0], dtype=bool)
        above = over_read(readings, reference)
        if span is not None:
            above |= (readings >= span) & (readings - reference > 0.5)
        shared = training_readings[neighbors[:, :AGREEMENT_NEIGHBORS]] == readings[:, None]
        above &= shared.mean(axis=1) >= _CONFIRMING_SHARE
        rows = np.flatnonzero(above)
        if rows.size:
            confirmed[rows] = spans_as_many(
                self._reference.points_, self._nearest_training_points(X[rows]), X[rows],
                readings[rows],
            )
        return confirmed

    def _no_collapse(self, X, readings, reference, beyond_noise):
        """Readings below the reference that the nearest training points confirm."""
        if not getattr(self, "_collapse_span", False):
            # Fitted before the check existed.
            return None
        no_collapse = np.zeros(X.shape[0], dtype=bool)
        rows = np.flatnonzero(collapsed(readings, reference, beyond_noise, self._noise_reach > 0))
        if rows.size:
            no_collapse[rows] = spans_no_more(
                self._reference.points_, self._nearest_training_points(X[rows]), X[rows],
                readings[rows],
            )
        return no_collapse

    def _persisting(self, confidence, X, readings):
        """Confidences set to 0 where a reading does not hold at the persistence level."""
        level = getattr(self, "_persistence_level", None)
        if level is None:
            return confidence
        return np.where(self._read(X, level)[0] != readings, 0.0, confidence)

    def _spanned(self, X, dimensions, confidence, readings, reference):
        """Dimensions and confidences after the data check at the reading's scale.

        Where the training points around a point span fewer directions at
        ``noise_level_`` than the field reads (see ``_level_span``), the network smeared
        the stratum there: the point takes the count of those directions, with
        confidence 0; a reading the neighbor-distance ``reference`` confirms is judged
        from twice as many points. Dimensions that came from the reference instead of the field's
        ``readings`` are not the field's: they stand (the count reads a non-uniformly
        sampled 9-dimensional paraboloid 5-6). Then every unclear dimension (confidence
        below ``RELIABLE``), the field's or the reference's, is checked against the
        directions its nearest training points span (``sampling_span_corrections``).
        """
        points = getattr(self._reference, "points_", None)
        if points is None:
            # Fitted before the check existed.
            return dimensions, confidence
        n_neighbors = min(SPAN_NEIGHBORS, points.shape[0])
        neighbors = self._reference.nn_.kneighbors(
            X, n_neighbors=n_neighbors, return_distance=False
        )
        fewer, count = span_corrections(
            points, neighbors, X, self.noise_level_, dimensions,
            reference if getattr(self, "_confirmed_span", False) else None,
        )
        fewer &= dimensions == readings
        dimensions = np.where(fewer, count, dimensions)
        confidence = np.where(fewer, 0.0, confidence)
        if not getattr(self, "_sampling_span", False):
            # Fitted before the check at the sampling scale existed.
            return dimensions, confidence
        unclear = np.flatnonzero(confidence < RELIABLE)
        lower, local = sampling_span_corrections(
            points, neighbors[unclear], X[unclear], dimensions[unclear]
        )
        dimensions, confidence = dimensions.copy(), confidence.copy()
        dimensions[unclear[lower]] = local[lower]
        confidence[unclear[lower]] = 0.0
        return dimensions, confidence

    def _agreeing(self, confidence, dimensions, neighbors):
        """Confidences capped by the agreement with the nearest training points."""
        n_neighbors = getattr(self, "_agreement_neighbors", None)
        if n_neighbors is None:
            # Fitted before the agreement was part of the confidence.
            return confidence
        neighbor_dimensions = self.dimension_pw_[neighbors[:, :n_neighbors]]
        return np.minimum(confidence, agreement_confidence(dimensions, neighbor_dimensions))

    def _resolved(self, X, with_confidence=True):
        """Final dimensions and confidences of new points, batch after batch.

        Without ``with_confidence`` the confidences are those before the persistence
        check (which reads the field at a second level) and the neighbor agreement.
        """
        X = self._check_input(X)
        dimensions, confidence = np.empty(X.shape[0]), np.empty(X.shape[0])
        for rows in gen_batches(X.shape[0], _reading_batch(X.shape[1])):
            readings, margin = self._read(X[rows], self.noise_level_)
            reference, sampling_scale, neighbors = self._reference.predict(X[rows])
            dimensions[rows], resolved = self._spanned(
                X[rows],
                *self._resolve(X[rows], readings, margin, reference, sampling_scale, neighbors),
                readings,
                reference,
            )
            if with_confidence:
                resolved = self._persisting(resolved, X[rows], readings)
                resolved = self._agreeing(resolved, dimensions[rows], neighbors)
            confidence[rows] = resolved
        return dimensions, confidence

    def confidence(self, X):
        """Reliability of the local dimension of each point, in ``[0, 1]``.

        The same measure as ``dimension_confidence_`` for new points: how cleanly the
        score field reads (the margin of the reading from its rounding threshold), 0 where
        the reading exceeds the neighbor-distance reference or gave way to it, and low
        where fewer than 80% of the 20 nearest training points have the same dimension.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to evaluate.

        Returns
        -------
        confidence : ndarray of shape (n_samples,)
            Near 1 for a clean reading, near 0 for one that is about to flip or that the
            distances to the nearest training points contradict.
        """
        return self._resolved(X)[1]

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
        out = np.empty((X.shape[0], X.shape[1], X.shape[1]))
        for rows in gen_batches(X.shape[0], _reading_batch(X.shape[1])):
            jacobian = self.score_model_.denoiser_jacobian(X[rows], self.noise_level_)
            out[rows] = tangent_spectrum(jacobian)[1]
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags

"""How far a reading of the score field can be trusted, per point and overall.

A reading is *clean* when the denoiser Jacobian's eigenvalues sit far from the rounding
threshold (its margin). The field as a whole is trusted when most training points read
cleanly at the chosen level and the learned denoiser does better than a linear one there.
Otherwise every reading is checked against an independent estimate from the distances to
the neighbors (:class:`~._reference.NeighborDistanceReference`), and the readings that
it contradicts where the field could not resolve the neighborhood give way to it.
"""

import warnings

import numpy as np

# Confidence at or above which a reading counts as reliable.
RELIABLE = 0.5
# Margin of a reading that maps to confidence 1; RELIABLE is half of it (every eigenvalue
# outside [0.35, 0.65]). Measured in benchmarks/bench_reliability.py: the points above it
# are right 95-100% of the time on every case, those below 40-95%.
_FULL_MARGIN = 0.3
# The field is trusted when the 10th percentile of the training margins reaches this.
_MIN_LOW_MARGIN = 0.25
# Below this gain over the linear denoiser the field has learned no geometry.
_MIN_DENOISING_GAIN = 0.05
# A reading above the reference that most of the point's neighbors share is systematic.
_SYSTEMATIC_SHARE = 0.8
# Fit warns when fewer than this fraction of the training points read reliably, or fewer
# than the second when the field as a whole was not judged reliable: the self-intersecting
# surface with noise 0.05 (a figure-eight cross-section of size 0.5, curved at the scale
# of the noise) read 3 instead of 2 at 51% of its points with clean margins, 33% of them
# right, while every noisy preset read right called at least 73% of its points reliable
# (crossing planes with noise 0.05, 54%, now warns too: 91% exact).
_MIN_RELIABLE_FRACTION = 0.5
_MIN_RELIABLE_FRACTION_UNRELIABLE_FIELD = 0.6
# Nearest training points (the point itself first for a training point) whose dimensions a
# point's dimension is compared with.
AGREEMENT_NEIGHBORS = 20
# Shares of them with the same dimension that map to confidence 0 and 1; RELIABLE lies
# halfway, at 0.8.
_NO_AGREEMENT, _FULL_AGREEMENT = 0.6, 1.0
# A reading must hold at a level this many times finer (see persistence_level).
_PERSISTENCE_STEP = 1.8


def agreement_tolerance(reference):
    """Largest gap between a reading and the neighbor-distance reference still agreeing.

    The pooled TwoNN estimate over 50 neighbors scatters by about a seventh of its value
    (the calibration for the sample size corrects its mean, not its scatter), so the
    tolerance grows with it.
    """
    return 0.5 + 0.2 * np.asarray(reference)


def collapse_tolerance(reference, noisy):
    """How far below the reference a reading of an unreliable field may lie.

    With ambient noise, twice :func:`agreement_tolerance` (the noise inflates the
    reference). Without it, ``0.5 + 0.15 * reference``: the reference averaged over the
    neighbors scatters by about 0.07 of its value, half as much as one pooled estimate.
    Measured on the presets and BenchmarkManifolds (``benchmarks/RESULTS.md``): the
    self-intersecting preset reads 0.92 exact instead of 0.84, the ten-times twisted
    Möbius band 1.88 instead of 1.70 on average, while the 10-cube of the mixed
    high-dimensional preset keeps its right readings (0.1 instead of 0.15 would read that
    preset 0.964 exact instead of 0.972).
    """
    reference = np.asarray(reference)
    return 2.0 * agreement_tolerance(reference) if noisy else 0.5 + 0.15 * reference


def field_is_reliable(margin, gain):
    """Whether the readings can stand without the neighbor-distance check.

    Parameters
    ----------
    margin : ndarray of shape (n_samples,)
        Margins of the training readings at the chosen level.
    gain : float
        :func:`denoising_gain` at that level.
    """
    return bool(np.quantile(margin, 0.1) >= _MIN_LOW_MARGIN and gain >= _MIN_DENOISING_GAIN)


def degenerate_level(dimensions, n_features, share=0.9):
    """Whether nearly every reading is 0 (one blurred blob) or ``n_features`` (noise).

    The level selection skips such levels unless every candidate is one; then the field
    resolves nothing at any level (a stratum of high dimension for the sample size).
    """
    dimensions = np.asarray(dimensions)
    return bool((dimensions <= 0).mean() > share or (dimensions >= n_features).mean() > share)


def reads_whole_span(dimensions, span, share=0.85):
    """Whether nearly every reading is the data's whole span (``span`` directions).

    On noisy data, an unreliable field that reads the principal subspace at nearly every
    point has resolved no stratum below it, like a linear denoiser: the twisted preset in
    R^10 with noise 0.01 (a band and a helix crossing a ball, spanning 3 directions) read
    3 at about 90% of its points, 80% of them called reliable, 22% of them right; the
    neighbor-distance reference, inflated by the noise, read 3 too. On the noisy presets
    whose readings are right, at most 61% of the points read the span (the disk of the
    lollipop).
    """
    if span is None:
        return False
    return bool((np.asarray(dimensions) >= span).mean() >= share)


def over_read(dimensions, reference):
    """Readings above the neighbor-distance reference by more than the tolerance.

    Noise inflates the reference and never deflates it, so such a reading is suspect
    whatever the noise: typically a small or thin stratum read at a level too coarse for
    it, or a junction.
    """
    return np.asarray(dimensions) > reference + agreement_tolerance(reference)


def collapsed(dimensions, reference, beyond_noise, noisy):
    """Readings below the reference by more than :func:`collapse_tolerance`, where the
    point's neighbors lie beyond the reach of the ambient noise (``beyond_noise``)."""
    reference = np.asarray(reference)
    return np.asarray(beyond_noise) & (
        reference - np.asarray(dimensions) > collapse_tolerance(reference, noisy)
    )


def resolve_readings(dimensions, margin, reference, beyond_noise, reliable_field,
                     noisy=True, over_share=None, linear_field=False, span=None,
                     collapse_share=None, no_collapse=None, over_confirmed=None):
    """Final dimensions and confidences of the readings.

    The confidence of a field reading is its cleanness, its margin from the rounding
    threshold over 0.3, capped at 1 (1 for a reading far from flipping), or 0 when it is
    :func:`over_read`. An over-reading shared by most of the point's neighbors
    (``over_share``) is systematic, a whole stratum read too coarsely rather than a
    junction: it is replaced by the rounded reference. When the field as a whole is not
    reliable (:func:`field_is_reliable`), two kinds of readings give way to the rounded
    reference, with confidence 0:

    - a reading below the reference by more than :func:`collapse_tolerance`, where the point's
      neighbors lie beyond the reach of the ambient noise (``beyond_noise``): the collapse
      of a stratum of high dimension for the sample size, whose readings fall towards 0.
      A reading above the reference is no collapse: it stands (with confidence 0 when it
      is :func:`over_read`), for the reference reads low where a stratum is small for its
      dimension (a 10-dimensional cube of 1,000 points beside smaller strata reads 7-8)
      while the field can still read it right;
    - a reading of the data's whole span (``span``, the number of principal directions
      that are not noise) above the reference by more than 0.5: the field resolved no
      normal direction there, as at levels below the sampling resolution of a curved
      stratum (a stratum that fills the span reads it in the reference too).

    On data without ambient noise a collapse shared by most of the point's neighbors
    (``collapse_share``) gives way to the reference even when the field reads cleanly: a
    9-dimensional paraboloid of 2,500 points in R^30 read 1 everywhere, with clean
    margins, at a level that blurred it into a curve. No noise-free preset has such a
    collapse; with noise the reference is inflated and a reliable field is trusted.

    Other readings stand, unclean ones with their low confidence: within the noise's
    reach the distances to the nearest neighbors measure the noise, which the field reads
    through. Without ambient noise (``noisy`` False) the standing readings of an
    unreliable field keep their confidence only where they round to the reference (the
    self-intersecting preset, read at a level that blurred its surface into a curve,
    called 19% of its points reliable, none of them right).

    A field no better than the linear denoiser (``linear_field``, see
    :func:`denoising_gain`) reads the dimension of the data's principal subspace, which is
    the local dimension only where the data are flat: there the reference agrees with it.
    Its readings keep their value but get confidence 0 where the reference contradicts
    them (by more than :func:`agreement_tolerance`), and everywhere when ambient noise was
    detected (the noise inflates the reference, which then confirms nothing).

    Parameters
    ----------
    dimensions : ndarray of shape (n,)
        Rounded readings of the score field.
    margin : ndarray of shape (n,)
        Their margins, in ``[0, 0.5]``.
    reference : ndarray of shape (n,)
        Neighbor-distance estimates.
    beyond_noise : ndarray of shape (n,)
        Whether the point's ``SAMPLING_NEIGHBOR``-th neighbor lies beyond the reach of
        the ambient noise (see :func:`~._reference.noise_reach`).
    reliable_field : bool
        Whether the field was judged reliable on the training data.
    noisy : bool, default=True
        Whether ambient noise was detected in the data.
    over_share : ndarray of shape (n,), default=None
        Fraction of each point's neighbors whose training readings are over-read; None
        replaces no over-reading.
    linear_field : bool, default=False
        Whether the learned denoiser does no better than the linear one.
    span : int, default=None
        Number of directions the data span apart from ambient noise; None replaces no
        reading of the whole span.
    collapse_share : ndarray of shape (n,), default=None
        Fraction of each point's neighbors whose training readings are :func:`collapsed`;
        None replaces no collapse of a reliable field.
    no_collapse : ndarray of bool of shape (n,), default=None
        Readings that are no collapse whatever the reference says: their nearest training
        points span no more directions (see ``_level_span.spans_no_more``).
    over_confirmed : ndarray of bool of shape (n,), default=None
        Readings above the reference that are not replaced, neither as a systematic
        over-reading nor as a reading of the whole span: their nearest training points
        span as many directions (see ``_level_span.spans_as_many``). An over-reading
        keeps confidence 0.

    Returns
    -------
    dimensions : ndarray of shape (n,)
    confidence : ndarray of shape (n,)
    """
    dimensions = np.asarray(dimensions, dtype=float)
    confidence = np.clip(np.asarray(margin) / _FULL_MARGIN, 0.0, 1.0)
    over = over_read(dimensions, reference)
    confidence = np.where(over, 0.0, confidence)
    if linear_field:
        # Ambient noise inflates the reference, which then can confirm nothing.
        unconfirmed = noisy | (np.abs(dimensions - reference) > agreement_tolerance(reference))
        confidence = np.where(unconfirmed, 0.0, confidence)
    if over_share is not None:
        systematic = over & (np.asarray(over_share) >= _SYSTEMATIC_SHARE)
        if over_confirmed is not None:
            systematic &= ~np.asarray(over_confirmed)
        dimensions = np.where(systematic, np.round(reference), dimensions)
    collapse = collapsed(dimensions, reference, beyond_noise, noisy)
    if no_collapse is not None:
        collapse &= ~np.asarray(no_collapse)
    if reliable_field:
        if collapse_share is None or noisy:
            return dimensions, confidence
        replaced = collapse & (np.asarray(collapse_share) >= _SYSTEMATIC_SHARE)
        dimensions = np.where(replaced, np.round(reference), dimensions)
        return dimensions, np.where(replaced, 0.0, confidence)
    replaced = collapse
    if span is not None:
        # A reading of the whole span above the rounded reference: a stratum filling
        # the span reads it in the reference too.
        whole_span = (dimensions >= span) & (dimensions - reference > 0.5)
        if over_confirmed is not None:
            whole_span &= ~np.asarray(over_confirmed)
        replaced |= whole_span
    dimensions = np.where(replaced, np.round(reference), dimensions)
    confidence = np.where(replaced, 0.0, confidence)
    if not noisy:
        # Without ambient noise the reference is not inflated: the readings of an
        # unreliable field that do not round to it are not confirmed.
        confidence = np.where(np.abs(dimensions - reference) > 0.5, 0.0, confidence)
    return dimensions, confidence


def agreement_confidence(dimensions, neighbor_dimensions):
    """Confidence bound from how many of the nearest training points share a dimension.

    The share of the neighbors with the same dimension, mapped linearly from 0 at 0.6 to
    1 at 1 (reliable from 0.8 on). Inside a stratum the dimension is constant; readings
    that flip between neighbors at clean margins are a level that suits part of a
    stratum only (measured on the noisy presets at noise 0.05: on the torus of
    string_in_doughnut in R^10, read 2 or 3 at random, the points called reliable were
    right 81% of the time, and 100% of those where 80% of their 20 neighbors agree),
    or a junction between strata.

    Parameters
    ----------
    dimensions : ndarray of shape (n,)
        Final dimensions of the points.
    neighbor_dimensions : ndarray of shape (n, n_neighbors)
        Final dimensions of each point's nearest training points.

    Returns
    -------
    confidence : ndarray of shape (n,)
    """
    share = np.mean(np.asarray(neighbor_dimensions) == np.asarray(dimensions)[:, None], axis=1)
    return np.clip((share - _NO_AGREEMENT) / (_FULL_AGREEMENT - _NO_AGREEMENT), 0.0, 1.0)


def persistence_level(levels, level, noise_std):
    """Finer level at which a reading on noisy data must hold, or None.

    The largest candidate level at most ``level / 1.8`` and at least twice the ambient
    noise's standard deviation (where the noise's own directions already read as
    normal: their eigenvalue is ``s**2 / (s**2 + noise_std**2) >= 0.8``). Blurring only
    lowers the readings of a stratum; a reading that rises at the finer level, clear of
    the noise, shows a stratum blurred into a lower-dimensional shape at ``level``:
    string_in_doughnut in R^30 with noise 0.05 was read at 0.37, where the torus (tube
    radius 0.4) reads as its core circle with clean margins; at 0.17 it reads 3. None
    without ambient noise (below the chosen level the readings there meet the sampling
    resolution, not the noise) or without such a level.

    Parameters
    ----------
    levels : ndarray of shape (n_levels,)
        Candidate levels of the level selection.
    level : float
        The chosen level.
    noise_std : float
        Standard deviation of the ambient noise per direction (0 when none was detected).
    """
    if noise_std <= 0:
        return None
    levels = np.asarray(levels, dtype=float)
    finer = levels[(levels <= level / _PERSISTENCE_STEP) & (levels >= 2.0 * noise_std)]
    return float(finer.max()) if finer.size else None


def denoising_gain(score_model, X, level, seed, max_points=1000):
    """How much better the learned denoiser is than the best linear one, at ``level``.

    ``1 - E_model / E_linear``, where ``E`` is the mean squared error of denoising the
    training points blurred at ``level`` (the same draws for both) and the linear denoiser
    is the exact one of a Gaussian with the data's mean and covariance. Curved or
    stratified data leave a clear gain to a denoiser that has learned them (about
    ``1 - d / D_span`` on a ``d``-dimensional stratum spanning ``D_span`` directions); a
    gain near 0 means the field knows nothing beyond the data's principal subspace: an
    under-trained model, or data that truly fill a flat space.
    """
    rng = np.random.RandomState(seed)
    rows = rng.permutation(X.shape[0])[:max_points]
    clean = X[rows]
    noisy = clean + level * rng.standard_normal(clean.shape)
    mean = X.mean(axis=0)
    covariance = np.atleast_2d(np.cov(X, rowvar=False))
    gain_matrix = np.linalg.solve(covariance + level**2 * np.eye(X.shape[1]), covariance)
    linear = mean + (noisy - mean) @ gain_matrix
    model = score_model.denoise(noisy, level)
    error_linear = np.mean(np.sum((linear - clean) ** 2, axis=1))
    error_model = np.mean(np.sum((model - clean) ** 2, axis=1))
    return float(1.0 - error_model / max(error_linear, 1e-300))


def is_linear(gain):
    """Whether a :func:`denoising_gain` says the field learned nothing beyond linear."""
    return gain < _MIN_DENOISING_GAIN


def warn_if_linear(gain, dimensions):
    """Warn when the field has learned no more than the data's principal subspace."""
    if not is_linear(gain):
        return
    values, counts = np.unique(dimensions, return_counts=True)
    common = int(values[np.argmax(counts)])
    warnings.warn(
        f"The score model denoises no better than a Gaussian fitted to the data at the "
        f"reading level (gain {gain:.3f} over the linear denoiser): its readings only "
        f"reflect the data's principal subspace (the local dimensions are mostly {common}). "
        "That is right only if the data fill a flat space; otherwise the score model is "
        "under-trained: try a larger max_epochs or more samples.",
        UserWarning,
        stacklevel=3,
    )


def warn_if_span_read(reads_span, span, dimensions):
    """Warn when an unreliable field read the data's whole span nearly everywhere."""
    if not reads_span:
        return
    share = float(np.mean(np.asarray(dimensions) >= span))
    warnings.warn(
        f"The score field reads the whole principal subspace of the data ({span} "
        f"directions) at {share:.0%} of the training points, on noisy data and with no "
        "clean level: it has resolved no stratum below that subspace, and the distances "
        "to the neighbors, inflated by the noise, cannot confirm it. Every confidence is "
        "0. The score model may be under-trained, or the strata finer than the noise "
        "lets the sample show: try more samples, a larger max_epochs for the score model, "
        "or a given noise_level.",
        UserWarning,
        stacklevel=3,
    )


def warn_if_unreliable(confidence, level_curve, reliable_field=True):
    """Warn when too few training points read reliably at the chosen level: fewer than
    half, or than 60% when the field as a whole was not judged reliable."""
    reliable = float(np.mean(confidence >= RELIABLE))
    needed = (
        _MIN_RELIABLE_FRACTION if reliable_field else _MIN_RELIABLE_FRACTION_UNRELIABLE_FIELD
    )
    if reliable >= needed:
        return
    curve = ""
    if level_curve:
        margins = np.asarray(level_curve["margin"])
        curve = (
            f" Over the {margins.size} candidate levels the 10th percentile of the margins "
            f"ranges {margins.min():.2f}-{margins.max():.2f} (0.5 is a clean reading)."
        )
    warnings.warn(
        f"The score field does not read the local dimension cleanly: only {reliable:.0%} of "
        f"the training points are reliable.{curve} Where the distances to the neighbors "
        "contradicted a reading, the dimension is their estimate (reference_dimension_pw_), "
        "with confidence 0. The field may be under-trained or "
        "the data too sparse for their dimension: try more samples, a larger max_epochs "
        "for the score model, or a given noise_level.",
        UserWarning,
        stacklevel=3,
    )

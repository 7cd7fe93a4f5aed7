"""How far a reading of the score field can be trusted, per point and overall."""

import warnings

import numpy as np

# Confidence at or above which a reading counts as reliable.
RELIABLE = 0.5
# Fit warns when fewer than this fraction of the training points read reliably.
_MIN_RELIABLE_FRACTION = 0.5
# Below this gain over the linear denoiser the field has learned no geometry.
_MIN_DENOISING_GAIN = 0.05


def agreement_tolerance(reference):
    """Largest gap between a reading and the neighbour-distance reference still agreeing.

    Distance-based estimates scatter by about a quarter of their value on a few thousand
    points and read high near junctions and under ambient noise, so the tolerance grows
    with the dimension; one unit below it.
    """
    return 1.0 + 0.25 * np.asarray(reference)


def reading_confidence(dimensions, margin, reference):
    """Confidence in ``[0, 1]`` of each rounded reading.

    The product of two terms: the reading's cleanness (twice its margin from the rounding
    threshold, 1 for a reading far from flipping) and its agreement with the
    neighbour-distance reference (1 within :func:`agreement_tolerance`, falling to 0 at
    twice it).

    Parameters
    ----------
    dimensions : ndarray of shape (n,)
        Rounded readings.
    margin : ndarray of shape (n,)
        Distance of each reading from its rounding threshold, in ``[0, 0.5]``.
    reference : ndarray of shape (n,)
        Neighbour-distance estimate of the local dimension at each point.

    Returns
    -------
    confidence : ndarray of shape (n,)
    """
    cleanness = np.clip(2.0 * np.asarray(margin), 0.0, 1.0)
    tolerance = agreement_tolerance(reference)
    gap = np.abs(np.asarray(dimensions) - reference)
    agreement = np.clip(2.0 - gap / tolerance, 0.0, 1.0)
    return cleanness * agreement


def contradicted(dimensions, reference):
    """Readings the neighbour distances contradict: off by twice the tolerance or more.

    The score field then has not resolved the geometry at its level (typically a
    stratum of high dimension for the sample size, whose readings collapse towards 0), and
    the rounded reference is the better estimate.
    """
    return np.abs(np.asarray(dimensions) - reference) >= 2.0 * agreement_tolerance(reference)


def resolve_readings(dimensions, margin, reference, gain=1.0):
    """Final dimensions and confidences: contradicted readings give way to the reference.

    Parameters
    ----------
    dimensions : ndarray of shape (n,)
        Rounded readings of the score field.
    margin : ndarray of shape (n,)
        Their margins.
    reference : ndarray of shape (n,)
        Neighbour-distance estimates.
    gain : float, default=1.0
        :func:`denoising_gain` of the field; below ``_MIN_DENOISING_GAIN`` the readings
        only reflect the data's principal subspace, and every confidence shrinks in
        proportion.

    Returns
    -------
    dimensions : ndarray of shape (n,)
        The readings, with the rounded reference where they are contradicted.
    confidence : ndarray of shape (n,)
        :func:`reading_confidence` of the readings (0 where they are contradicted).
    """
    confidence = reading_confidence(dimensions, margin, reference)
    confidence = confidence * np.clip(gain / _MIN_DENOISING_GAIN, 0.0, 1.0)
    replaced = contradicted(dimensions, reference)
    dimensions = np.where(replaced, np.round(reference), dimensions)
    return dimensions, confidence


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


def warn_if_linear(gain, dimensions):
    """Warn when the field has learned no more than the data's principal subspace."""
    if gain >= _MIN_DENOISING_GAIN:
        return
    values, counts = np.unique(dimensions, return_counts=True)
    common = int(values[np.argmax(counts)])
    warnings.warn(
        f"The score model denoises no better than a Gaussian fitted to the data at the "
        f"reading level (gain {gain:.3f} over the linear denoiser): the local dimensions "
        f"(mostly {common}) only reflect the data's principal subspace. They are right "
        "only if the data fill a flat space; otherwise the score model is under-trained: "
        "try a larger max_epochs or more samples.",
        UserWarning,
        stacklevel=3,
    )


def warn_if_unreliable(confidence, level_curve):
    """Warn when most training points read unreliably at the chosen level."""
    reliable = float(np.mean(confidence >= RELIABLE))
    if reliable >= _MIN_RELIABLE_FRACTION:
        return
    curve = ""
    if level_curve:
        margins = np.asarray(level_curve["margin"])
        curve = (
            f" Over the {margins.size} candidate levels the 10th percentile of the margins "
            f"ranges {margins.min():.2f}-{margins.max():.2f} (0.5 is a clean reading)."
        )
    warnings.warn(
        f"The local dimensions are unreliable: only {reliable:.0%} of the training points "
        f"read cleanly and agree with the distances to their neighbours.{curve} The score "
        "model may be under-trained or the data too sparse for their dimension: try more "
        "samples, a larger max_epochs for the score model, or a given noise_level. "
        "dimension_confidence_ gives the confidence of every point.",
        UserWarning,
        stacklevel=3,
    )

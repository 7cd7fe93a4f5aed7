"""Argument checks shared by the data set builders."""

import numbers

import numpy as np


def check_n_samples(n_samples, *, minimum=1):
    """Return ``n_samples`` as an int, or raise ValueError if it is not an int >= minimum."""
    if (
        not isinstance(n_samples, numbers.Integral)
        or isinstance(n_samples, bool)
        or n_samples < minimum
    ):
        raise ValueError(f"n_samples must be an integer >= {minimum}, got {n_samples!r}.")
    return int(n_samples)


def check_noise(noise):
    """Return ``noise`` as a float, or raise ValueError if it is negative or not finite."""
    if (
        not isinstance(noise, numbers.Real)
        or isinstance(noise, bool)
        or not np.isfinite(noise)
        or noise < 0
    ):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}.")
    return float(noise)


def check_positive(value, name):
    """Return ``value`` as a float, or raise ValueError if it is not finite and > 0."""
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or not np.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}.")
    return float(value)


def check_dim(dim, name="dim", *, minimum=1):
    """Return ``dim`` as an int, or raise ValueError if it is not an int >= minimum."""
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool) or dim < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {dim!r}.")
    return int(dim)


def check_ambient_dim(ambient_dim, required):
    """Return the ambient dimension: ``required`` if None, else ``ambient_dim`` checked."""
    if ambient_dim is None:
        return int(required)
    ambient_dim = check_dim(ambient_dim, "ambient_dim")
    if ambient_dim < required:
        raise ValueError(
            f"ambient_dim={ambient_dim} is too small: the strata need at least {required}."
        )
    return ambient_dim


def check_weights(weights, n_strata):
    """Return the stratum weights as a float array; equal weights if ``weights`` is None."""
    if weights is None:
        return np.full(n_strata, 1.0 / n_strata)
    try:
        weights = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"weights must be an array of numbers, got {weights!r}.") from exc
    if weights.shape != (n_strata,):
        raise ValueError(
            f"weights must have shape ({n_strata},), one per stratum, got {weights.shape}."
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"weights must be finite and non-negative, got {weights}.")
    if abs(weights.sum() - 1.0) > 1e-8:
        raise ValueError(f"weights must sum to 1, got a sum of {weights.sum()!r}.")
    return weights

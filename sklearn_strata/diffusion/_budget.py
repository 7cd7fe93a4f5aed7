"""The training budget: more steps only where the field is not learned where it is read.

A default fit trains ``TARGET_TRAIN_STEPS`` steps, enough for most data. Data with fine
structure (a helix winding ten times around a twisted band, sampled non-uniformly) need
more: after them, the network denoised a twisted band and a helix 6% worse than a plain
kernel smoother of the training points, and the field read every point of them 3. The
check compares the two at the smallest levels the dimension is read at
(:func:`denoising_errors`); where the network is worse by more than ``MAX_DEFICIT``,
training goes on in stages of the same length, each from half the learning rate, while a
stage still improves the network's denoising there (``MIN_STAGE_GAIN``), up to
``MAX_STAGES`` (:func:`next_stage`). Four stages read the twisted presets 0.858 and 0.800
exact instead of 0.762 and 0.731.

Measured (``benchmarks/RESULTS.md``): on every other preset the network is within 3% of the
smoother, or better, after the first stage, so their fits cost what they did. The check
misses some under-training: the self-intersecting surface with noise 0.01 reads 0.90
exact after 3,200 steps instead of 0.56, but after 800 its network already matches the
smoother at these levels.
"""

import numpy as np
import torch

# Optimisation steps of one training stage. Large batches with a large learning rate: a
# CPU step of 2048 rows in bfloat16 costs little more than four of 256, and the denoising
# loss is noisy enough that the fewer, cleaner steps learn as well (benchmarks/RESULTS.md,
# "Fit time").
TARGET_TRAIN_STEPS = 800
# At most this many stages (4 x 800 steps).
MAX_STAGES = 4
# A second stage when the network denoises worse than the kernel smoother by this fraction.
MAX_DEFICIT = 0.03
# A further stage while the last one reduced the network's denoising error by this fraction.
MIN_STAGE_GAIN = 0.05
# Learning rate of each further stage, as a fraction of the first one's.
STAGE_LR_FACTOR = 0.5
# Smoothing levels of the check (standardised units: the data's largest principal spread
# is 1), around the finest levels the dimension is read at.
CHECK_LEVELS = (0.04, 0.08)
# Training points denoised in the check, and the most the smoother averages over.
_CHECK_POINTS = 500
_MAX_SMOOTHER_POINTS = 20000


def denoising_errors(module, Z, seed):
    """Mean squared denoising errors of the network and of the kernel smoother.

    At each of ``CHECK_LEVELS`` a sample of the training points is blurred once (the same
    draws for both); the smoother is the exact denoiser of the other training points
    (leave-one-out, every copy of the point left out, or discrete data would be denoised
    exactly onto the copies): ``sum_j w_j z_j`` with weights
    ``exp(-|y - z_j|^2 / (2 s^2))``.

    Parameters
    ----------
    module : DenoisingNetwork
        The network being trained.
    Z : ndarray of shape (n_samples, n_features)
        Standardised training data.
    seed : int
        Seed of the sample and of the blur.

    Returns
    -------
    network, smoother : ndarray of shape (len(CHECK_LEVELS),)
        Mean squared errors per level.
    """
    rng = np.random.RandomState(seed)
    n = Z.shape[0]
    checked = rng.permutation(n)[: min(_CHECK_POINTS, n)]
    others = rng.permutation(n)[: min(_MAX_SMOOTHER_POINTS, n)]
    device = next(module.parameters()).device
    clean = torch.as_tensor(Z[checked], dtype=torch.float32, device=device)
    pool = torch.as_tensor(Z[others], dtype=torch.float32, device=device)
    rows = np.union1d(checked, others)
    _, ids = np.unique(Z[rows], axis=0, return_inverse=True)
    row_ids = np.empty(n, dtype=np.int64)
    row_ids[rows] = ids.ravel()
    same = torch.as_tensor(row_ids[checked][:, None] == row_ids[others][None, :], device=device)
    network, smoother = [], []
    with torch.no_grad():
        for level in CHECK_LEVELS:
            noise = torch.as_tensor(rng.standard_normal(clean.shape), dtype=torch.float32,
                                    device=device)
            blurred = clean + level * noise
            squared = torch.cdist(blurred, pool).square()
            logits = (-squared / (2 * level**2)).masked_fill(same, -torch.inf)
            weights = torch.softmax(logits, dim=1)
            smoothed = weights @ pool
            levels = torch.full((clean.shape[0],), level, device=device)
            denoised = module.denoise(blurred, levels)
            network.append(float((denoised - clean).square().sum(dim=1).mean()))
            smoother.append(float((smoothed - clean).square().sum(dim=1).mean()))
    return np.array(network), np.array(smoother)


def next_stage(stage, errors, previous_errors, smoother_errors):
    """Whether to train another stage after ``stage`` (0 for the first).

    Parameters
    ----------
    stage : int
        Index of the stage just trained.
    errors, previous_errors, smoother_errors : ndarray of shape (len(CHECK_LEVELS),)
        The network's denoising errors after this stage and before it (None after the
        first), and the smoother's.
    """
    if stage + 1 >= MAX_STAGES:
        return False
    if stage == 0:
        return bool(np.max(errors / smoother_errors - 1.0) > MAX_DEFICIT)
    return bool(np.max(1.0 - errors / previous_errors) > MIN_STAGE_GAIN)

"""The training budget: more steps only where the field is not learned where it is read.

A default fit trains ``TARGET_TRAIN_STEPS`` steps, enough for most data. Data with fine
structure need more, and two checks at the smallest levels the dimension is read at
(:func:`denoising_errors`) tell which (:func:`next_stage`):

- The network against a plain kernel smoother of the training points. After the first
  stage, a helix winding ten times around a twisted band, sampled non-uniformly, was
  denoised 6% worse by the network than by the smoother, and the field read every point
  of them 3. A deficit above ``MAX_DEFICIT`` asks for more training.
- The network against itself halfway through the first stage. Where the smoother is a
  weak bar (a surface sampled more sparsely than the checked levels: the self-intersecting
  Klein bottle with noise 0.01), the network beat it by 27% and was still learning: its
  error fell 9.5% over the second half of the stage. A gain above ``MIN_HALF_GAIN`` asks
  for more training, at the levels where the smoother is a fair bar
  (``MIN_SMOOTHER_SHARE``). A network that has learned what the data hold gains less: 3% on
  the lollipop, whose check errors four times the steps leave unchanged.

Sparse data are the opposite case: data whose nearest neighbors lie farther apart than the
finest levels the field is read at (``SPARSE_SPACING``) can be memorised, and a network that
learns the training points lowers the log-likelihood of every other point. On a noisy
20-dimensional cube in R^80 (2,250 points) the default 800 steps gave held-out points
171.8 nats (training points 183.9), 100 steps 173.7; on the mixed strata in R^60 with noise
0.05 (a 10-cube, a 5-sphere and a circle), 800 steps 76.9 and 400 steps 79.1 (a Gaussian
mixture: 173.4 and 78.1). There the budget is chosen on a held-out tenth of the data
(:func:`held_out_split`): trained on the rest, then again for half as many steps as long
as that raises the held-out log-likelihood significantly (:func:`shorter_is_better`); the
stage then trains on every row for the count kept (``ScoreDiffusionDensity``'s
``early_stopping``). Every benchmark preset of low dimension has neighbors closer than
half that spacing and trains as before.

More training is one second stage, ``LONG_STAGE_FACTOR`` times as long as the first, from
``STAGE_LR_FACTOR`` of its learning rate. Short stages do not add up to a long one: on the
Klein bottle a second stage of 800 steps lowered the error by 3% (from half the learning
rate; 0.5% from the full one), one of 2,400 steps by 14.5%, and the surface then read 0.95
exact instead of 0.55, its samples 1.06 times the data's distance from it instead of 1.79.
"""

import numpy as np
import torch
from sklearn.neighbors import NearestNeighbors
from skorch.callbacks import Callback

# Optimisation steps of the first training stage. Large batches with a large learning
# rate: a CPU step of 2048 rows in bfloat16 costs little more than four of 256, and the
# denoising loss is noisy enough that the fewer, cleaner steps learn as well
# (benchmarks/RESULTS.md, "Fit time").
TARGET_TRAIN_STEPS = 800
# At most this many stages: the first, and one more where the checks ask for it.
MAX_STAGES = 2
# Steps of the second stage, as a multiple of the first's.
LONG_STAGE_FACTOR = 3
# More training when the network denoises worse than the kernel smoother by this fraction.
MAX_DEFICIT = 0.03
# More training when the second half of the first stage reduced the network's denoising
# error by this fraction (at a check level). Measured on the benchmark presets: 0.4-5.9%
# where the network had learned what the data hold (the lollipop, the crossing planes, the
# scaled strata, line-disk-ball, the 20-cube), 6.4-11% on the twisted strata, the
# self-intersecting surface and the pierced sphere beside a 4-cube with noise 0.01, whose
# samples lay 1.15-1.8 times farther from the strata than the data. The gain varies from
# one seed to another by a few points: near the threshold the choice is a coin toss
# between two budgets that both serve.
MIN_HALF_GAIN = 0.07
# That gain counts only at the levels where the network's error is at least this fraction
# of the smoother's. Far below it, the data are sparse at that level for their dimension
# (the smoother averages neighbors far away) and the network already generalises beyond
# the training points; training longer moves it towards them: on the mixed preset in R^60
# the 10-dimensional ball (network at 0.04 of the smoother's error) then read 0.73 exact
# instead of 0.97.
MIN_SMOOTHER_SHARE = 0.5
# Learning rate of the second stage, as a fraction of the first one's.
STAGE_LR_FACTOR = 0.5
# Smoothing levels of the check (standardised units: the data's largest principal spread
# is 1), around the finest levels the dimension is read at.
CHECK_LEVELS = (0.04, 0.08)
# Data whose median nearest-neighbor distance (standardised units, in the coordinates the
# network learns) exceeds this are sparse for the levels the field is read at: twice the
# finest check level. The low-dimensional benchmark presets lie at 0.009-0.082 (with noise
# 0.05 too), the mixed strata in R^60 at 0.29-0.34 and the 20-cube in R^80 at 3.2.
SPARSE_SPACING = 2 * CHECK_LEVELS[-1]
# The held-out part of sparse data: this fraction of the rows, within these bounds; data
# with fewer rows than the smallest part over the fraction keep every row for training.
HELD_OUT_FRACTION = 0.1
MIN_HELD_OUT, MAX_HELD_OUT = 50, 300
# Sparse data are trained for half as many steps at a time down to this many.
MIN_SPARSE_STEPS = 100
# Standard errors of the paired held-out difference a shorter training must win by.
_SIGNIFICANT = 2.0
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


def next_stage(errors, smoother_errors, halfway_errors=None):
    """Whether to train the second stage after the first.

    Parameters
    ----------
    errors, smoother_errors : ndarray of shape (len(CHECK_LEVELS),)
        The network's denoising errors after the first stage, and the smoother's.
    halfway_errors : ndarray of shape (len(CHECK_LEVELS),) or None
        The network's errors halfway through the first stage (None: not measured).
    """
    behind = np.max(errors / smoother_errors - 1.0) > MAX_DEFICIT
    if halfway_errors is None:
        return bool(behind)
    # Only at the levels where the smoother is a fair bar (see MIN_SMOOTHER_SHARE).
    fair = errors >= MIN_SMOOTHER_SHARE * smoother_errors
    learning = fair.any() and gain(halfway_errors[fair], errors[fair]) > MIN_HALF_GAIN
    return bool(behind or learning)


def is_sparse(H, max_points=2000, seed=0):
    """Whether data lie sparser than the levels the field is read at.

    Parameters
    ----------
    H : ndarray of shape (n_samples, n_directions)
        Standardised data in the coordinates the network learns.
    max_points, seed : int
        The median nearest-neighbor distance is taken over this many points, drawn with
        this seed (each point's neighbor among all of them).
    """
    if H.shape[0] < 2:
        return False
    rows = np.random.RandomState(seed).permutation(H.shape[0])[:max_points]
    distances, _ = NearestNeighbors(n_neighbors=2).fit(H).kneighbors(H[rows])
    return bool(np.median(distances[:, 1]) > SPARSE_SPACING)


def held_out_split(n_samples, seed):
    """Rows trained on and rows held out to choose the budget of sparse data.

    Returns
    -------
    train, held_out : ndarray of int, or None
        None when ``n_samples`` is too small to hold ``MIN_HELD_OUT`` rows out.
    """
    n_held = int(np.clip(round(HELD_OUT_FRACTION * n_samples), MIN_HELD_OUT, MAX_HELD_OUT))
    if n_held > HELD_OUT_FRACTION * n_samples + 1:
        return None
    rows = np.random.RandomState(seed).permutation(n_samples)
    return np.sort(rows[n_held:]), np.sort(rows[:n_held])


def shorter_is_better(log_p_longer, log_p_shorter):
    """Whether the shorter training's held-out log-likelihoods are significantly higher.

    A paired comparison on the same held-out points: the mean difference must exceed
    ``_SIGNIFICANT`` standard errors.
    """
    difference = np.asarray(log_p_shorter) - np.asarray(log_p_longer)
    error = difference.std(ddof=1) / np.sqrt(difference.size) if difference.size > 1 else 0.0
    return bool(difference.mean() > _SIGNIFICANT * error)


def gain(before, after):
    """Largest relative reduction of the denoising error from ``before`` to ``after``."""
    return float(np.max(1.0 - np.asarray(after) / np.asarray(before)))


class HalfwayCheck(Callback):
    """Record :func:`denoising_errors` halfway through a stage, in ``errors_``.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_features)
        Standardised training data.
    seed : int
        Seed of the check (the same as the end-of-stage check's, so that both denoise the
        same blurred points).
    n_epochs : int
        Epochs of the stage.
    """

    def __init__(self, Z, seed, n_epochs):
        self.Z = Z
        self.seed = seed
        self.n_epochs = n_epochs

    def on_train_begin(self, net, **kwargs):
        self.errors_ = None

    def on_epoch_end(self, net, **kwargs):
        if self.n_epochs > 1 and len(net.history) == self.n_epochs // 2:
            accelerator = getattr(net, "accelerator", None)
            module = net.module_ if accelerator is None else accelerator.unwrap_model(net.module_)
            self.errors_ = denoising_errors(module, self.Z, self.seed)[0]

    def on_train_end(self, net, **kwargs):
        # The fitted net keeps its callbacks: it must not pickle the training data.
        self.Z = None

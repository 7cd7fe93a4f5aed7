"""The diffusion model's training budget: further stages only where the network denoises
the training data worse than a kernel smoother of them (``diffusion/_budget.py``)."""

import numpy as np
import pytest
import torch

from sklearn_strata import ScoreDiffusionDensity
from sklearn_strata.diffusion import _budget


class _Shrinking(torch.nn.Module):
    """A denoiser that multiplies its input by a constant."""

    def __init__(self, factor):
        super().__init__()
        self.factor = torch.nn.Parameter(torch.tensor(float(factor)))

    def denoise(self, y, level):
        return self.factor * y


def _smoother_error(Z, seed):
    """The leave-one-out kernel denoiser's errors, written out point by point."""
    rng = np.random.RandomState(seed)
    n = Z.shape[0]
    checked = rng.permutation(n)[: min(_budget._CHECK_POINTS, n)]
    others = rng.permutation(n)[: min(_budget._MAX_SMOOTHER_POINTS, n)]
    errors = []
    for level in _budget.CHECK_LEVELS:
        noise = rng.standard_normal((checked.size, Z.shape[1])).astype(np.float32)
        total = 0.0
        for row, index in enumerate(checked):
            blurred = Z[index] + level * noise[row]
            pool = Z[others[~np.all(Z[others] == Z[index], axis=1)]]
            logits = -np.sum((blurred - pool) ** 2, axis=1) / (2 * level**2)
            weights = np.exp(logits - logits.max())
            smoothed = weights @ pool / weights.sum()
            total += np.sum((smoothed - Z[index]) ** 2)
        errors.append(total / checked.size)
    return np.array(errors)


def test_denoising_errors_of_the_network_and_of_the_smoother():
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((120, 3)) * 0.1
    network, smoother = _budget.denoising_errors(_Shrinking(0.0), Z, seed=3)
    # A denoiser returning 0 errs by the squared norm of the clean points.
    np.testing.assert_allclose(network, np.mean(np.sum(Z**2, axis=1)), rtol=1e-5)
    np.testing.assert_allclose(smoother, _smoother_error(Z.astype(np.float32), 3), rtol=1e-4)
    # Identity: the error is the blur itself, about D * level**2.
    network, _ = _budget.denoising_errors(_Shrinking(1.0), Z, seed=3)
    np.testing.assert_allclose(network, 3 * np.square(_budget.CHECK_LEVELS), rtol=0.2)


def test_the_smoother_leaves_out_every_copy_of_the_point():
    # Discrete data: 5 points, 40 copies each. With the copies in, the smoother would
    # denoise exactly onto them, and any network would seem to underfit.
    rng = np.random.default_rng(0)
    distinct = rng.standard_normal((5, 3))
    Z = np.repeat(distinct, 40, axis=0)
    _, smoother = _budget.denoising_errors(_Shrinking(1.0), Z, seed=0)
    nearest_other = min(
        np.sum((a - b) ** 2) for i, a in enumerate(distinct) for b in distinct[i + 1:]
    )
    assert np.all(smoother > 0.5 * nearest_other)
    np.testing.assert_allclose(smoother, _smoother_error(Z.astype(np.float32), 0), rtol=1e-4)


@pytest.mark.parametrize(
    "stage, errors, previous, smoother, expected",
    [
        # after the first stage: another one only when worse than the smoother by > 3%
        (0, [1.0, 1.0], None, [1.0, 0.99], False),
        (0, [1.0, 1.05], None, [1.0, 1.0], True),
        # later: while the last stage still reduced an error by more than 5%
        (1, [0.9, 1.0], [1.0, 1.0], [0.5, 0.5], True),
        (1, [0.97, 0.98], [1.0, 1.0], [0.5, 0.5], False),
        # never past MAX_STAGES
        (_budget.MAX_STAGES - 1, [0.1, 0.1], [1.0, 1.0], [0.5, 0.5], False),
    ],
)
def test_next_stage(stage, errors, previous, smoother, expected):
    previous = None if previous is None else np.array(previous)
    assert _budget.next_stage(stage, np.array(errors), previous, np.array(smoother)) is expected


def _helix(n_samples, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n_samples)
    return np.column_stack([np.cos(12 * t), np.sin(12 * t), t])


def test_an_underfitting_network_trains_more_stages(monkeypatch):
    # A network of width 8 on a helix of 12 turns denoises it worse than the smoother:
    # training goes on, every stage as long as the first, and the loss curve covers all.
    monkeypatch.setattr(_budget, "TARGET_TRAIN_STEPS", 60)
    X = _helix(400)
    model = ScoreDiffusionDensity(hidden_width=8, n_blocks=1, batch_size=200, lr=2e-3,
                                  random_state=0).fit(X)
    assert model.n_training_stages_ > 1
    assert model.n_iter_ == len(model.loss_curve_) == 30 * model.n_training_stages_
    # an explicit max_epochs is a fixed budget
    fixed = ScoreDiffusionDensity(hidden_width=8, n_blocks=1, batch_size=200, lr=2e-3,
                                  max_epochs=30, random_state=0).fit(X)
    assert fixed.n_training_stages_ == 1 and fixed.n_iter_ == 30
    # and the stages are reproducible
    again = ScoreDiffusionDensity(hidden_width=8, n_blocks=1, batch_size=200, lr=2e-3,
                                  random_state=0).fit(X)
    assert again.n_training_stages_ == model.n_training_stages_
    np.testing.assert_array_equal(again.score_field(X[:20], 0.1), model.score_field(X[:20], 0.1))

"""The diffusion model's training budget: a second stage only where the network denoises
the training data worse than a kernel smoother of them, or was still learning at the end
of the first (``diffusion/_budget.py``)."""

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
    "errors, smoother, halfway, expected",
    [
        # behind the smoother by more than 3% at one level
        ([1.0, 1.05], [1.0, 1.0], None, True),
        ([1.0, 1.0], [1.0, 0.99], None, False),
        # ahead of the smoother, but 10% better than halfway through the stage
        ([0.9, 1.0], [1.2, 1.2], [1.0, 1.0], True),
        ([0.95, 0.97], [1.2, 1.2], [1.0, 1.0], False),
        # neither
        ([0.5, 0.5], [1.0, 1.0], [0.51, 0.5], False),
        # a gain where the network is far ahead of the smoother (sparse data) is no reason
        ([0.04, 0.6], [1.0, 1.0], [0.06, 0.61], False),
        ([0.04, 0.6], [1.0, 1.0], [0.06, 0.7], True),
    ],
)
def test_next_stage(errors, smoother, halfway, expected):
    halfway = None if halfway is None else np.array(halfway)
    assert _budget.next_stage(np.array(errors), np.array(smoother), halfway) is expected


def test_the_halfway_check_records_the_errors_of_mid_training(monkeypatch):
    # The check halfway through the first stage denoises the same blurred points as the
    # one at its end: a network that learns nothing (lr=1e-12) shows no gain there, and
    # the fitted net keeps no copy of the data.
    seen = []
    original = _budget.denoising_errors

    def recording(module, Z, seed):
        errors = original(module, Z, seed)
        seen.append(errors[0])
        return errors

    monkeypatch.setattr(_budget, "denoising_errors", recording)
    monkeypatch.setattr(_budget, "TARGET_TRAIN_STEPS", 20)
    model = ScoreDiffusionDensity(hidden_width=8, n_blocks=1, batch_size=100, lr=1e-12,
                                  random_state=0).fit(_helix(200))
    assert len(seen) == 2 and model.n_training_stages_ == 1
    np.testing.assert_allclose(seen[0], seen[1], rtol=1e-4)
    check = dict(model.net_.callbacks)["halfway_check"]
    assert check.Z is None and check.errors_ is not None


def _helix(n_samples, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n_samples)
    return np.column_stack([np.cos(12 * t), np.sin(12 * t), t])


def test_an_underfitting_network_trains_a_long_second_stage(monkeypatch):
    # A network of width 8 on a helix of 12 turns denoises it worse than the smoother:
    # a second stage, three times as long, follows, and the loss curve covers both.
    monkeypatch.setattr(_budget, "TARGET_TRAIN_STEPS", 60)
    X = _helix(400)
    model = ScoreDiffusionDensity(hidden_width=8, n_blocks=1, batch_size=200, lr=2e-3,
                                  random_state=0).fit(X)
    assert model.n_training_stages_ == 2
    assert model.n_iter_ == len(model.loss_curve_) == 30 * (1 + _budget.LONG_STAGE_FACTOR)
    # an explicit max_epochs is a fixed budget
    fixed = ScoreDiffusionDensity(hidden_width=8, n_blocks=1, batch_size=200, lr=2e-3,
                                  max_epochs=30, random_state=0).fit(X)
    assert fixed.n_training_stages_ == 1 and fixed.n_iter_ == 30
    # and the stages are reproducible
    again = ScoreDiffusionDensity(hidden_width=8, n_blocks=1, batch_size=200, lr=2e-3,
                                  random_state=0).fit(X)
    assert again.n_training_stages_ == model.n_training_stages_
    np.testing.assert_array_equal(again.score_field(X[:20], 0.1), model.score_field(X[:20], 0.1))


def test_sparse_data_are_told_from_dense_data():
    rng = np.random.default_rng(0)
    disk = rng.uniform(-1, 1, (1000, 2))
    assert not _budget.is_sparse(disk / disk.std(axis=0).max())
    # 500 points of a 20-dimensional Gaussian: nearest neighbors several units apart.
    assert _budget.is_sparse(rng.standard_normal((500, 20)))


@pytest.mark.parametrize("n_samples, n_held", [(3000, 300), (5000, 300), (800, 80),
                                               (500, 50), (480, None)])
def test_held_out_split(n_samples, n_held):
    split = _budget.held_out_split(n_samples, seed=0)
    if n_held is None:
        assert split is None
        return
    train, held = split
    assert held.size == n_held and train.size == n_samples - n_held
    np.testing.assert_array_equal(np.union1d(train, held), np.arange(n_samples))
    np.testing.assert_array_equal(train, _budget.held_out_split(n_samples, seed=0)[0])


def test_a_shorter_training_must_win_significantly():
    rng = np.random.default_rng(0)
    longer = rng.normal(10.0, 3.0, 200)
    assert _budget.shorter_is_better(longer, longer + 0.5 + rng.normal(0, 0.5, 200))
    assert not _budget.shorter_is_better(longer, longer + rng.normal(0, 0.5, 200))
    assert not _budget.shorter_is_better(longer, longer - 0.5)


@pytest.mark.parametrize("shorter_wins", [True, False])
def test_sparse_data_halve_the_budget_while_the_held_out_points_gain(
    monkeypatch, shorter_wins
):
    # Sparse data (a 12-dimensional Gaussian) train on nine tenths of the rows, then for
    # half as many steps while the held-out log-likelihood says so; then on every row for
    # the count kept, and no second stage follows a shortened training.
    monkeypatch.setattr(_budget, "TARGET_TRAIN_STEPS", 40)
    monkeypatch.setattr(_budget, "MIN_SPARSE_STEPS", 10)
    compared = []

    def verdict(longer, shorter):
        compared.append((np.shape(longer), np.shape(shorter)))
        return shorter_wins

    monkeypatch.setattr(_budget, "shorter_is_better", verdict)
    X = np.random.default_rng(0).standard_normal((600, 12))
    model = ScoreDiffusionDensity(hidden_width=16, n_blocks=1, batch_size=270,
                                  random_state=0).fit(X)
    # 540 rows trained on: two steps per epoch; 60 held out.
    assert all(shapes == ((60,), (60,)) for shapes in compared)
    if shorter_wins:
        # 40, 20 and 10 steps tried; 10 kept, two steps per epoch of the 600 rows.
        assert len(compared) == 2
        assert model.n_iter_ == len(model.loss_curve_) == 5
        assert model.n_training_stages_ == 1
    else:
        # 40 and 20 tried, 40 kept: the model dense data would get.
        assert len(compared) == 1
        dense = ScoreDiffusionDensity(hidden_width=16, n_blocks=1, batch_size=270,
                                      early_stopping=False, random_state=0).fit(X)
        assert model.n_iter_ == dense.n_iter_ >= 20
        np.testing.assert_array_equal(model.score_field(X[:5], 0.1),
                                      dense.score_field(X[:5], 0.1))
    assert np.isfinite(model.score_samples(X[:5])).all()


@pytest.mark.parametrize("early_stopping, sparse, checked", [
    ("auto", True, True), ("auto", False, False), (True, False, True), (False, True, False),
])
def test_early_stopping_chooses_when_the_held_out_check_runs(
    monkeypatch, early_stopping, sparse, checked
):
    monkeypatch.setattr(_budget, "TARGET_TRAIN_STEPS", 8)
    monkeypatch.setattr(_budget, "MIN_SPARSE_STEPS", 2)
    monkeypatch.setattr(_budget, "is_sparse", lambda H: sparse)
    calls = []
    monkeypatch.setattr(_budget, "shorter_is_better",
                        lambda longer, shorter: calls.append(1) or False)
    X = np.random.default_rng(0).standard_normal((500, 3))
    ScoreDiffusionDensity(hidden_width=8, n_blocks=1, batch_size=250,
                          early_stopping=early_stopping, random_state=0).fit(X)
    assert bool(calls) is checked


def test_the_dimension_estimator_trains_its_default_model_in_full():
    from sklearn_strata import ScoreDimensionEstimator

    model = ScoreDimensionEstimator()._default_model(0)
    assert model.early_stopping is False and model.random_state == 0

"""``ArrayBatchIterator`` pinned to torch's own ``DataLoader``.

The estimators train on the batches of ``ArrayBatchIterator``, which takes every batch
with one fancy index instead of collating rows one by one. It claims to yield the batches
of ``DataLoader(dataset, batch_size, shuffle=True, generator=g, drop_last=...)`` (same
draws from ``g``, so training matches a plain skorch net). These tests hold it to that
against the installed torch, over several epochs with the generator reused across them.
"""

import numpy as np
import pytest
import torch
from skorch.dataset import Dataset
from torch.utils.data import DataLoader, TensorDataset

from sklearn_strata.utils._skorch import ArrayBatchIterator

N_EPOCHS = 4


def _epochs_of_loader(X, batch_size, drop_last, seed):
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(
        TensorDataset(torch.from_numpy(X)),
        batch_size=batch_size,
        shuffle=True,
        generator=generator,
        drop_last=drop_last,
    )
    epochs = [[batch.numpy() for (batch,) in loader] for _ in range(N_EPOCHS)]
    return epochs, generator


def _epochs_of_iterator(X, batch_size, drop_last, seed):
    generator = torch.Generator().manual_seed(seed)
    iterator = ArrayBatchIterator(
        Dataset(X, None),
        batch_size=batch_size,
        shuffle=True,
        generator=generator,
        drop_last=drop_last,
    )
    epochs = []
    for _ in range(N_EPOCHS):
        batches = []
        for Xi, yi in iterator:
            assert yi is None
            batches.append(Xi.numpy())
        epochs.append(batches)
    return epochs, generator, iterator


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize(
    "n_rows, batch_size",
    [(40, 8), (43, 8), (43, 43), (43, 50), (7, 1), (100, 32)],
    ids=["divides", "remainder", "one-batch", "batch-above-n", "size-one", "larger"],
)
def test_batches_match_torch_dataloader(n_rows, batch_size, drop_last):
    X = np.random.RandomState(0).normal(size=(n_rows, 3)).astype(np.float32)
    # Row i carries its index in the first column, so a mismatch names the rows.
    X[:, 0] = np.arange(n_rows)
    expected, loader_generator = _epochs_of_loader(X, batch_size, drop_last, seed=5)
    got, iterator_generator, iterator = _epochs_of_iterator(X, batch_size, drop_last, seed=5)
    for epoch, (got_batches, expected_batches) in enumerate(zip(got, expected, strict=True)):
        assert len(got_batches) == len(expected_batches) == len(iterator), epoch
        for got_batch, expected_batch in zip(got_batches, expected_batches, strict=True):
            assert got_batch.dtype == expected_batch.dtype
            np.testing.assert_array_equal(
                got_batch, expected_batch, err_msg=f"epoch {epoch}, rows {got_batch[:, 0]}"
            )
    # Both consumed the generator alike: whatever draws from it next agrees too.
    np.testing.assert_array_equal(
        torch.randperm(n_rows, generator=iterator_generator).numpy(),
        torch.randperm(n_rows, generator=loader_generator).numpy(),
    )


def test_epochs_are_reshuffled():
    X = np.arange(40, dtype=np.float32).reshape(-1, 1)
    epochs, _, _ = _epochs_of_iterator(X, 8, False, seed=0)
    orders = [np.concatenate(batches)[:, 0] for batches in epochs]
    for order in orders:
        np.testing.assert_array_equal(np.sort(order), np.arange(40))
    assert not all(np.array_equal(orders[0], order) for order in orders[1:])


def test_without_shuffle_rows_come_in_order():
    X = np.arange(10, dtype=np.float32).reshape(-1, 1)
    iterator = ArrayBatchIterator(Dataset(X, None), batch_size=4, shuffle=False)
    batches = [Xi.numpy()[:, 0] for Xi, _ in iterator]
    # A generator of its own: the loader draws a base seed even without shuffling, and the
    # global torch seed must stay untouched (conftest).
    expected = list(
        DataLoader(
            TensorDataset(torch.from_numpy(X)), batch_size=4, generator=torch.Generator()
        )
    )
    assert len(batches) == len(expected) == 3
    for got, (want,) in zip(batches, expected, strict=True):
        np.testing.assert_array_equal(got, want.numpy()[:, 0])

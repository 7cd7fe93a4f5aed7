"""The progress output of ``verbose=True``: a live bar on terminals, a few lines in logs."""

import io
import pickle
import re
import sys

import numpy as np
import pytest
import torch

from sklearn_strata.utils import _skorch
from sklearn_strata.utils._skorch import EpochProgressBar, fit_loss_module


class _SquaredNorm(torch.nn.Module):
    """A tiny loss module: the squared distance of every row to a learnt center."""

    def __init__(self):
        super().__init__()
        self.center = torch.nn.Parameter(torch.zeros(2))

    def forward(self, X):
        return ((X - self.center) ** 2).sum(dim=1)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _fit(max_epochs):
    X = np.random.default_rng(0).normal(size=(64, 2))
    return fit_loss_module(
        _SquaredNorm(),
        X,
        max_epochs=max_epochs,
        batch_size=32,
        lr=1e-2,
        device="cpu",
        seed=0,
        verbose=True,
        desc="Toy",
    )


@pytest.mark.parametrize("max_epochs", [1, 7, 100, 333])
def test_a_log_gets_a_few_lines_per_fit(monkeypatch, max_epochs):
    stream = io.StringIO()  # not a terminal, like a CI log, a file or a pipe
    monkeypatch.setattr(sys, "stderr", stream)
    _fit(max_epochs)
    lines = stream.getvalue().splitlines()
    assert 1 <= len(lines) <= min(max_epochs, 11)
    assert "\r" not in stream.getvalue()
    pattern = re.compile(r"Toy: epoch +(\d+)/(\d+)  loss \S+  \(\d+\.\d s\)")
    epochs = [int(pattern.fullmatch(line).group(1)) for line in lines]
    assert epochs == sorted(epochs)
    assert epochs[-1] == max_epochs


def test_a_terminal_gets_a_live_bar(monkeypatch):
    stream = _Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    _fit(20)
    output = stream.getvalue()
    assert "\r" in output  # tqdm redraws its bar in place
    assert "epoch" not in output


def test_a_notebook_gets_a_live_bar(monkeypatch):
    # In a Jupyter kernel stderr is no terminal, but the bar (a widget) is still wanted.
    monkeypatch.setattr(_skorch, "_in_notebook", lambda: True)
    monkeypatch.setattr(_skorch, "tqdm", _RecordingBar)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    _RecordingBar.updates = 0
    _fit(5)
    assert _RecordingBar.updates == 5
    assert sys.stderr.getvalue() == ""


class _RecordingBar:
    updates = 0

    def __init__(self, *args, **kwargs):
        pass

    def update(self, n):
        type(self).updates += n

    def set_postfix(self, **kwargs):
        pass

    def close(self):
        pass


def test_in_notebook_is_false_outside_jupyter():
    assert not _skorch._in_notebook()


def test_the_callback_pickles_after_a_fit(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    net = _fit(3)
    callback = dict(net.callbacks_)["progress"]
    assert isinstance(callback, EpochProgressBar)
    restored = pickle.loads(pickle.dumps(callback))
    assert restored.desc == "Toy"
    assert not hasattr(restored, "file_")

"""The skorch layer shared by the torch-backed estimators.

Every estimator *holds* a :class:`LossModuleNet` built in ``fit`` (it never subclasses
skorch's ``NeuralNet``).  The torch module's ``forward`` returns the per-sample training
loss (denoising score matching, negative ELBO, ...), which keeps each model's objective
next to its architecture and lets one training loop serve them all.
"""

import math

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, GradientNormClipping, LRScheduler
from skorch.dataset import Dataset
from torch.optim.lr_scheduler import CosineAnnealingLR
from tqdm.auto import tqdm

from ._torch import make_generator


class LossModuleNet(NeuralNet):
    """skorch net whose module's ``forward(X)`` returns the per-sample loss."""

    def get_loss(self, y_pred, y_true, X=None, training=False):
        return y_pred.mean()


class EpochProgressBar(Callback):
    """A tqdm bar over epochs that shows the running training loss."""

    def __init__(self, desc="fit"):
        self.desc = desc

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.bar_ = tqdm(total=net.max_epochs, desc=self.desc, leave=False)

    def on_epoch_end(self, net, **kwargs):
        self.bar_.update(1)
        self.bar_.set_postfix(loss=f"{net.history[-1, 'train_loss']:.4g}")

    def on_train_end(self, net, X=None, y=None, **kwargs):
        self.bar_.close()


class FiniteLossGuard(Callback):
    """Stop training with a clear error as soon as the training loss is not finite."""

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1, "train_loss"]
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"The training loss became {loss} at epoch {len(net.history)}; the model "
                f"diverged. Lower the learning rate (lr={net.lr}) or standardise the input."
            )


def fit_loss_module(
    module,
    X,
    *,
    max_epochs,
    batch_size,
    lr,
    device,
    seed,
    verbose=False,
    desc="fit",
    weight_decay=0.0,
    clip_norm=1.0,
    cosine_lr=False,
):
    """Train ``module`` (whose forward returns per-sample losses) on ``X`` through skorch.

    Parameters
    ----------
    module : torch.nn.Module
        Module whose ``forward(X)`` returns a tensor of per-sample losses. If it has a
        ``generator`` attribute, it is set to a generator seeded from ``seed`` so that
        the training noise is reproducible.
    X : ndarray of shape (n_samples, n_features)
        Training data (already preprocessed).
    max_epochs, batch_size : int
        Length of training and rows per optimisation step.
    lr : float
        Learning rate of Adam.
    device : torch.device
        Device to train on.
    seed : int
        Seed for the shuffling of batches and the training noise.
    verbose : bool, default=False
        Show a progress bar over epochs.
    desc : str, default="fit"
        Label of the progress bar.
    weight_decay : float, default=0.0
        Decoupled weight decay (AdamW).
    clip_norm : float, default=1.0
        Gradient norm clipping threshold.
    cosine_lr : bool, default=False
        Anneal the learning rate to zero over the epochs with a cosine schedule.

    Returns
    -------
    net : LossModuleNet
        The trained, initialised skorch net.
    """
    device = torch.device(device)
    module.generator = make_generator(seed + 1, device)
    callbacks = [("clip", GradientNormClipping(clip_norm)), ("finite", FiniteLossGuard())]
    if cosine_lr:
        callbacks.append(
            ("cosine", LRScheduler(policy=CosineAnnealingLR, T_max=max_epochs, step_every="epoch"))
        )
    if verbose:
        callbacks.append(("progress", EpochProgressBar(desc)))
    net = LossModuleNet(
        module,
        criterion=torch.nn.MSELoss,
        optimizer=torch.optim.AdamW,
        optimizer__weight_decay=weight_decay,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=min(batch_size, len(X)),
        train_split=None,
        iterator_train__shuffle=True,
        iterator_train__generator=make_generator(seed, "cpu"),
        iterator_train__drop_last=len(X) > batch_size,
        dataset=Dataset,
        callbacks=callbacks,
        device=str(device),
        verbose=0,
    )
    net.fit(np.asarray(X, dtype=np.float32), None)
    module.generator = None
    net.module_.eval()
    return net

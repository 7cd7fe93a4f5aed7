"""The base class of the estimators that hold a torch model trained through skorch."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._skorch import fit_loss_module
from ._torch import resolve_device
from ._validation import check_no_bool_numbers


class BaseTorchEstimator(DensityMixin, BaseEstimator):
    """Base class of the density estimators backed by a torch module and a skorch net.

    What :class:`~sklearn.mixture._base.BaseMixture` is to ``GaussianMixture``: the
    parameters every such estimator shares (training length, batch size, learning rate,
    device, seed, verbosity, accelerator) and their constraints, the device resolution,
    the validation of ``X``, the training through skorch (which records ``net_``,
    ``loss_curve_`` and ``n_iter_``), unpickling a CUDA-trained net on a CPU machine,
    :meth:`score` and the estimator tags. Subclasses merge their own constraints into
    ``BaseTorchEstimator._parameter_constraints`` and implement ``fit``,
    ``score_samples`` and ``sample``.

    Subclasses need ``mean_`` and ``scale_`` (the standardisation of ``X``) once fitted.
    """

    _parameter_constraints: dict = {
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "device": [StrOptions({"auto", "cpu", "cuda"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "accelerator": [None, HasMethods(["prepare"])],
    }

    # What validate_data keeps ``X`` as: a dtype, or a list of them (anything else is
    # converted to the first).
    _input_dtype = np.float64

    # ----------------------------------------------------------------- fitting

    def _check_fit_input(self, X, **kwargs):
        """Validate the parameters' types and ``X`` at the start of ``fit``; set ``device_``.

        ``kwargs`` go to :func:`~sklearn.utils.validation.validate_data`. Returns the
        validated ``X``.
        """
        check_no_bool_numbers(self)
        X = validate_data(self, X, dtype=self._input_dtype, **kwargs)
        self.device_ = self._resolve_device()
        return X

    def _resolve_device(self):
        """The device to train on: the accelerator's when there is one, else ``device``."""
        if self.accelerator is not None:
            return torch.device(self.accelerator.device)
        return resolve_device(self.device)

    def _train(self, module, X, *, seed, **kwargs):
        """Train ``module`` on ``X`` through skorch; record the diagnostics of training.

        The estimator's ``max_epochs``, ``batch_size``, ``lr``, ``verbose``, ``device_``
        and ``accelerator`` are used unless ``kwargs`` overrides them (``kwargs`` goes to
        :func:`~sklearn_strata.utils.fit_loss_module`). Sets ``net_``, ``loss_curve_``
        and ``n_iter_``.
        """
        options = {
            "max_epochs": self.max_epochs,
            "batch_size": self.batch_size,
            "lr": self.lr,
            "verbose": bool(self.verbose),
            "device": self.device_,
            "accelerator": self.accelerator,
            "desc": type(self).__name__,
            **kwargs,
        }
        self.net_ = fit_loss_module(module, X, seed=seed, **options)
        history = self.net_.history
        self.n_iter_ = len(history)
        self.loss_curve_ = [float(loss) for loss in history[:, "train_loss"]]
        return self.net_

    # --------------------------------------------------------------- inference

    def _check_input(self, X):
        """Check that the estimator is fitted and validate ``X`` against the fitted one."""
        check_is_fitted(self)
        return validate_data(self, X, dtype=self._input_dtype, reset=False)

    def _standardise(self, X):
        """``X`` centered and divided by the training scale, as float64."""
        return (np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_

    def score(self, X, y=None):
        """Mean log-density of ``X`` (higher is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to evaluate.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        score : float
            Mean of :meth:`score_samples`.
        """
        return float(np.mean(self.score_samples(X)))

    @staticmethod
    def _check_n_samples(n_samples):
        """Validate the ``n_samples`` argument of ``sample``."""
        if (
            isinstance(n_samples, bool)
            or not isinstance(n_samples, Integral | np.integer)
            or n_samples < 1
        ):
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        return int(n_samples)

    # -------------------------------------------------------------- persistence

    def __setstate__(self, state):
        super().__setstate__(state)
        if "net_" in self.__dict__:
            # skorch maps a net trained on CUDA to the CPU when it is unpickled on a
            # machine without CUDA; infer on the device the net was loaded to.
            # A net trained through an accelerator has no device of its own.
            device = self.net_.device
            if device is None:
                device = next(self.net_.module_.parameters()).device
            self.device_ = torch.device(device)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags

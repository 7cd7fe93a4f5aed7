"""ScoreDiffusionDensity: a score-based diffusion model as a scikit-learn density estimator."""

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils import (
    BaseTorchEstimator,
    draw_seed,
    fill_in_batches,
    make_generator,
    seeded_construction,
    spawn_seeds,
    to_tensor,
)
from ..utils._torch import training_dtype
from ..utils._validation import rollback_on_error
from . import _budget
from ._network import DenoisingNetwork, denoiser_jacobian
from ._ode import log_density
from ._sampler import sample_reverse_sde
from ._schedule import VPSchedule
from ._subspace import principal_split

# Smoothing level at the network's default t_min = 1e-3 of the VP schedule.
_DEFAULT_SMALLEST_LEVEL = 0.0105


def _smallest_level(tail_variance):
    """Smallest smoothing level trained at (standardised units).

    :meth:`ScoreDiffusionDensity.score_samples` is the density blurred at this level, so it
    must sit below the finest structure of the data. When the principal split measured
    the ambient noise (the tail's variance), the level goes down to a third of it: the
    strata are blurred by the noise anyway, and a coarser level would blur them further.
    """
    if tail_variance <= 0:
        return _DEFAULT_SMALLEST_LEVEL
    return float(np.clip(np.sqrt(tail_variance) / 3.0, 1e-3, _DEFAULT_SMALLEST_LEVEL))


def _data_scale(centered):
    """Standard deviation of the data along its principal direction.

    Stratified data usually fill a few directions of a large ambient space; dividing by the
    average coordinate spread would blow them up with the ambient dimension, while the
    largest principal spread keeps them in a unit box for any ``D`` (and is rotation
    invariant).
    """
    n = centered.shape[0]
    gram = centered.T @ centered / n if centered.shape[1] <= n else centered @ centered.T / n
    return float(np.sqrt(max(np.linalg.eigvalsh(gram)[-1], 0.0)))


class ScoreDiffusionDensity(BaseTorchEstimator):
    """Score-based diffusion model of a distribution, possibly on a union of manifolds.

    A residual MLP is trained by denoising score matching (epsilon form) on a
    variance-preserving SDE. The fitted model gives the log-density of new points
    (probability-flow ODE), new samples (reverse SDE) and the learned score field
    ``grad log p_sigma``, whose geometry :class:`~sklearn_strata.ScoreDimensionEstimator`
    reads the local intrinsic dimension from.

    ``X`` is centered and divided by one global scale inside ``fit`` (one scale for every
    feature keeps angles, hence the geometry of the strata); every output is in the units
    of the original ``X``. When the trailing principal variances of ``X`` look like
    isotropic noise, well separated from the leading ones (strata spanning a few
    directions of a larger ambient space, plus ambient noise), those directions are
    modelled exactly as a Gaussian and the network learns the leading principal
    coordinates only (``n_learned_directions_``).

    Parameters
    ----------
    hidden_width : int, default=192
        Width of the residual MLP.
    n_blocks : int, default=3
        Number of residual blocks.
    max_epochs : int or "auto", default="auto"
        Passes over the data. ``"auto"`` trains about 800 optimisation steps whatever
        the number of samples, then checks the network at the finest levels the
        dimension is read at: where it denoises the training data worse than a kernel
        smoother of them, or was still learning over the second half of those steps
        (data with fine structure), a second stage of about 2,400 steps follows
        (``n_training_stages_``). Data sparser than those levels (nearest neighbors
        farther apart than twice the finest, as in dimension 10 or more), which a network
        can memorise, choose the first stage's length on held-out rows (see
        ``early_stopping``).
    early_stopping : "auto" or bool, default="auto"
        With ``max_epochs="auto"``, whether to choose the first stage's length on
        held-out rows: a tenth of them (50 to 300) is held out, the network trained on
        the rest for 800, 400, 200 or 100 steps, halved as long as that raises the
        held-out log-likelihood significantly; then every row is trained on for the
        count kept (``n_iter_``). ``"auto"`` does so on data sparser than the levels the
        dimension is read at (nearest neighbors farther apart than twice the finest,
        as in dimension 10 or more), which a network can memorise: on a noisy
        20-dimensional cube in R^80 the held-out log-likelihood rose from 171.8 to
        173.6 nats per point. ``True`` does so on any data of 500 rows or more,
        ``False`` never. The readings of the local dimension may prefer the full
        training (:class:`~sklearn_strata.ScoreDimensionEstimator`'s default model
        sets ``False``).
    batch_size : int, default=2048
        Rows per optimisation step (all of them when ``X`` has fewer rows).
    lr : float, default=8e-3
        Learning rate of AdamW (cosine-annealed to zero over training). The default
        suits the default ``batch_size``; scale it down with smaller batches.
    n_sampling_steps : int, default=200
        Euler-Maruyama steps of the reverse SDE in :meth:`sample`.
    n_ode_steps : int, default=40
        Steps of the probability-flow ODE solver in :meth:`score_samples` (an
        exponential multistep method in the log of the smoothing level, one evaluation
        of the network and its Jacobian per step). The default is within 0.004 nats per
        point on average (0.04 at worst) of a 400-step solve on the benchmark presets
        (``benchmarks/bench_score_samples.py``); fewer steps are faster but coarser.
    max_exact_divergence : int, default=32
        Above this many features, the divergence in :meth:`score_samples` is Hutchinson's
        estimate with fixed probes (deterministic for a fixed ``random_state``) instead
        of the exact trace of the Jacobian.
    training_precision : {"auto", "float32", "bfloat16"}, default="auto"
        Precision of the network's matrix products during training (bfloat16 through
        :func:`torch.autocast`; weights, loss and optimizer stay in float32; inference is
        always float32). ``"auto"`` takes bfloat16 on a CPU that multiplies it in
        hardware (AMX units, as on Intel Xeon of the 4th generation and later, or
        AVX512_BF16, as on AMD Zen 4), where a default training step is about twice as
        fast, and float32 elsewhere, CUDA included. A model trained in bfloat16 differs
        from one trained in float32 with the same ``random_state``.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to train and infer. ``"auto"`` takes CUDA when it is available.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, batch order, training noise and the Hutchinson
        probes. Pass an int for reproducible results. :meth:`sample` takes its own
        ``random_state``.
    verbose : bool, default=False
        Show a progress bar during ``fit``.
    accelerator : accelerate.Accelerator or None, default=None
        An ``accelerate.Accelerator``; when given, training goes through skorch's
        :class:`~skorch.hf.AccelerateMixin` so it runs on every device the accelerator
        manages (multi-GPU with ``accelerate launch``). None trains on ``device``.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the denoising network.
    mean_ : ndarray of shape (n_features,)
        Mean of the training data.
    scale_ : float
        Global scale of the training data (its standard deviation along the first
        principal direction).
    n_learned_directions_ : int
        Number of leading principal directions modelled by the network; the remaining
        ``n_features_in_ - n_learned_directions_`` are an isotropic Gaussian.
    n_training_stages_ : int
        Training stages run (see ``max_epochs``; 1 when ``max_epochs`` is an int).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.
    min_noise_level_ : float
        Smallest smoothing level (in the units of ``X``) the model was trained at;
        :meth:`score_samples` is the log-density of the data blurred at this level.
    device_ : torch.device
        Device the model lives on.
    training_precision_ : str
        Precision the matrix products were trained in: ``"float32"`` or ``"bfloat16"``.
    loss_curve_ : list of float
        Mean training loss of every epoch of every stage, as in
        :class:`~sklearn.neural_network.MLPRegressor` (``net_.history`` holds the last
        stage's).
    n_iter_ : int
        Number of epochs run, over every stage.

    See Also
    --------
    ScoreDimensionEstimator : Local intrinsic dimension from the learned score field.
    StratifiedVAEMixture : Dimension-aware mixture of VAEs.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_strata import ScoreDiffusionDensity
    >>> rng = np.random.RandomState(0)
    >>> angle = rng.uniform(0, 2 * np.pi, 200)
    >>> X = np.c_[np.cos(angle), np.sin(angle)]
    >>> model = ScoreDiffusionDensity(max_epochs=5, random_state=0).fit(X)
    >>> model.score_samples(X[:3]).shape
    (3,)
    >>> model.sample(4).shape
    (4, 2)
    """

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        "hidden_width": [Interval(Integral, 1, None, closed="left")],
        "n_blocks": [Interval(Integral, 0, None, closed="left")],
        "max_epochs": [
            *BaseTorchEstimator._parameter_constraints["max_epochs"],
            StrOptions({"auto"}),
        ],
        "n_sampling_steps": [Interval(Integral, 1, None, closed="left")],
        "n_ode_steps": [Interval(Integral, 1, None, closed="left")],
        "max_exact_divergence": [Interval(Integral, 0, None, closed="left")],
        "training_precision": [StrOptions({"auto", "float32", "bfloat16"})],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
    }

    def __init__(
        self,
        *,
        hidden_width=192,
        n_blocks=3,
        max_epochs="auto",
        early_stopping="auto",
        batch_size=2048,
        lr=8e-3,
        n_sampling_steps=200,
        n_ode_steps=40,
        max_exact_divergence=32,
        training_precision="auto",
        device="cpu",
        random_state=None,
        verbose=False,
        accelerator=None,
    ):
        self.hidden_width = hidden_width
        self.n_blocks = n_blocks
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.batch_size = batch_size
        self.lr = lr
        self.n_sampling_steps = n_sampling_steps
        self.n_ode_steps = n_ode_steps
        self.max_exact_divergence = max_exact_divergence
        self.training_precision = training_precision
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.accelerator = accelerator

    @_fit_context(prefer_skip_nested_validation=True)
    @rollback_on_error
    def fit(self, X, y=None):
        """Train the diffusion model on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : ScoreDiffusionDensity
            The fitted estimator.
        """
        X = self._check_fit_input(X, ensure_min_samples=2)
        # The model's seed (weights, batches, training noise), and a stream of it for the
        # Hutchinson probes.
        seed = draw_seed(self.random_state)
        (self._probe_seed,) = spawn_seeds(seed, 1)
        self.mean_ = X.mean(axis=0)
        self.scale_ = _data_scale(X - self.mean_)
        if not self.scale_ > 0:
            raise ValueError(
                "X has zero variance: every sample is the same point, so there is no "
                "distribution to learn."
            )
        Z = (X - self.mean_) / self.scale_
        basis, head_dim, tail_variance = principal_split(Z)
        self.n_learned_directions_ = head_dim
        schedule = VPSchedule()
        dtype = training_dtype(self.training_precision, self.device_)
        self.training_precision_ = str(dtype).removeprefix("torch.")

        def new_module():
            # The same initial weights every time (sparse data may be trained more than once).
            with seeded_construction(seed):
                module = DenoisingNetwork(
                    X.shape[1], schedule, width=self.hidden_width, n_blocks=self.n_blocks,
                    basis=basis, head_dim=head_dim, tail_variance=tail_variance,
                    t_min=schedule.time_of_smoothing_level(_smallest_level(tail_variance)),
                )
            module.training_dtype = dtype
            return module

        if self.max_epochs == "auto":
            self._train_in_stages(new_module, Z, seed)
        else:
            self._train(
                new_module(), Z, seed=seed, max_epochs=self.max_epochs,
                batch_size=min(self.batch_size, X.shape[0]), cosine_lr=True,
            )
            self.n_training_stages_ = 1
        self.min_noise_level_ = float(
            schedule.smoothing_level(torch.tensor(self._module.t_min)) * self.scale_
        )
        return self

    def _train_in_stages(self, new_module, Z, seed):
        """Train about ``TARGET_TRAIN_STEPS`` steps, and more where the field needs it.

        See ``_budget``: a first stage with a cosine schedule; where the checks ask for
        it, a second one ``LONG_STAGE_FACTOR`` times as long from a lower learning rate.
        Data sparser than the levels the field is read at choose the first stage's length
        on a held-out part first (:meth:`_sparse_steps`), and take no second stage when it
        is shorter. ``loss_curve_`` and ``n_iter_`` cover every stage.
        """
        # The first stream is the Hutchinson probes' (see fit).
        _, check_seed, second_seed = spawn_seeds(seed, 3)
        module = new_module()
        steps = _budget.TARGET_TRAIN_STEPS
        early = self.early_stopping
        if early == "auto":
            early = _budget.is_sparse(Z @ module.basis[:, : module.head_dim].double().numpy())
        if early:
            split = _budget.held_out_split(Z.shape[0], check_seed)
            if split is not None:
                steps = self._sparse_steps(new_module, Z, seed, check_seed, *split)
        halfway_errors = self._train_first_stage(module, Z, seed, check_seed, steps)
        curve = list(self.loss_curve_)
        self.n_training_stages_ = 1
        # A network that memorises sparse data would only memorise more.
        if steps == _budget.TARGET_TRAIN_STEPS:
            errors, smoother = _budget.denoising_errors(module, Z, check_seed)
            if _budget.next_stage(errors, smoother, halfway_errors):
                self._train(
                    module, Z, seed=second_seed,
                    max_epochs=_budget.LONG_STAGE_FACTOR * self._epochs_for(
                        _budget.TARGET_TRAIN_STEPS, Z.shape[0]
                    ),
                    batch_size=min(self.batch_size, Z.shape[0]),
                    cosine_lr=True, lr=self.lr * _budget.STAGE_LR_FACTOR,
                )
                curve += self.loss_curve_
                self.n_training_stages_ = 2
        self.loss_curve_, self.n_iter_ = curve, len(curve)

    def _epochs_for(self, steps, n_rows):
        """Epochs of about ``steps`` optimisation steps over ``n_rows`` rows."""
        steps_per_epoch = max(n_rows // min(self.batch_size, n_rows), 1)
        return max(math.ceil(steps / steps_per_epoch), 1)

    def _train_first_stage(self, module, Z, seed, check_seed, steps):
        """Train ``module`` about ``steps`` steps; the check's errors halfway through."""
        max_epochs = self._epochs_for(steps, Z.shape[0])
        halfway = _budget.HalfwayCheck(Z, check_seed, max_epochs)
        self._train(
            module, Z, seed=seed, max_epochs=max_epochs,
            batch_size=min(self.batch_size, Z.shape[0]), cosine_lr=True,
            extra_callbacks=[("halfway_check", halfway)],
        )
        return halfway.errors_

    def _sparse_steps(self, new_module, Z, seed, check_seed, train, held_out):
        """Steps of the first stage of sparse data: as many as the held-out rows gain from.

        Trained on the ``train`` rows for ``TARGET_TRAIN_STEPS``, then from the same
        initial weights for half as many steps while the held-out log-likelihood rises
        significantly (``_budget.shorter_is_better``), down to ``MIN_SPARSE_STEPS``. The
        first stage then trains on every row for the count kept: with
        ``TARGET_TRAIN_STEPS`` kept, the model is the one dense data would get (on the
        mixed strata in R^60, a model of nine tenths of the rows read the 10-cube 0.79
        exact instead of 0.95).
        """
        steps, best = _budget.TARGET_TRAIN_STEPS, None
        while True:
            module = new_module()
            self._train_first_stage(module, Z[train], seed, check_seed, steps)
            log_p = self._head_log_density(module, Z[held_out])
            if best is not None and not _budget.shorter_is_better(best[0], log_p):
                return best[1]
            best = (log_p, steps)
            if steps // 2 < _budget.MIN_SPARSE_STEPS:
                return steps
            steps //= 2

    def _head_log_density(self, module, Z):
        """Log-density of standardised points in the network's learned coordinates.

        The part of :meth:`score_samples` that depends on the training (the tail's
        Gaussian does not), with the exact divergence up to ``max_exact_divergence``
        coordinates and one fixed Hutchinson probe above.
        """
        head, head_dim = module.head(), module.head_dim
        # The ODE runs in the smoothing-level clock, from the smallest trained level to the
        # largest (t = 1), whose prior is N(0, (1 + sigma_max**2) I).
        sigma_min, sigma_max = (
            float(module.schedule.smoothing_level(torch.tensor(t, dtype=torch.float64)))
            for t in (module.t_min, 1.0)
        )
        basis = module.basis[:, :head_dim].to(self.device_, torch.float64)
        probes = None
        if head_dim > self.max_exact_divergence:
            # One Rademacher probe shared by every row: each row's estimate is unbiased
            # and does not depend on the other rows of the call.
            generator = make_generator(self._probe_seed, self.device_)
            probes = torch.randint(0, 2, (1, head_dim), generator=generator, device=self.device_)
            probes = probes.to(torch.float64) * 2 - 1

        def log_density_of(rows):
            z = to_tensor(Z[rows], self.device_, torch.float64) @ basis
            # The network runs in float32, the state and the integrals in float64.
            with torch.no_grad() if probes is None else torch.enable_grad():
                return log_density(
                    head, z, sigma_min=sigma_min, sigma_max=sigma_max,
                    n_steps=self.n_ode_steps, probes=probes,
                )

        # float32 activations: the forward pass, one backward pass per head coordinate
        # (exact divergence) and the Jacobian; the float64 state of the solver.
        copies = 2 if probes is not None else head_dim + 2
        return fill_in_batches(
            np.empty(Z.shape[0]), log_density_of, device=self.device_,
            row_bytes=4 * copies * module.floats_per_row() + 24 * Z.shape[1],
        )

    def __setstate__(self, state):
        # Pickled before training_precision existed: such models trained in float32.
        state.setdefault("training_precision", "float32")
        # Pickled before early_stopping existed: trained without the held-out check.
        state.setdefault("early_stopping", False)
        if "net_" in state:
            state.setdefault("training_precision_", "float32")
            # Pickled before the staged budget: one stage.
            state.setdefault("n_training_stages_", 1)
        super().__setstate__(state)

    @property
    def _module(self):
        return self.net_.module_

    def score_samples(self, X):
        """Log-density of each sample, in the units of ``X``.

        Computed with the probability-flow ODE and the instantaneous change of variables
        for the data blurred at ``min_noise_level_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to evaluate.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            Log-density of each point.
        """
        X = self._check_input(X)
        module = self._module
        Z = self._standardise(X)
        log_p = self._head_log_density(module, Z)
        # The tail's Gaussian is exact.
        tail = Z @ module.basis[:, module.head_dim :].double().cpu().numpy()
        if tail.shape[1]:
            tail_variance = self._tail_variance(module)
            log_p = log_p - 0.5 * ((tail**2).sum(axis=1) / tail_variance + tail.shape[1] * math.log(
                2 * math.pi * tail_variance))
        # z = basis^T (X - mean) / scale: the rotation has unit determinant.
        return log_p - X.shape[1] * math.log(self.scale_)

    def _tail_variance(self, module):
        """Variance of the trailing principal coordinates' Gaussian (standardised units).

        Data lying exactly in the leading subspace have a degenerate tail; it is then
        blurred at the smallest trained level, as the head is.
        """
        floor = float(module.schedule.smoothing_level(torch.tensor(module.t_min))) ** 2
        return max(module.tail_variance, floor)

    def sample(self, n_samples=1, random_state=None):
        """Draw new samples with the reverse-time SDE.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.
        random_state : int, RandomState instance or None, default=None
            Randomness of the draw, as in
            :meth:`sklearn.neighbors.KernelDensity.sample`: an int gives reproducible
            samples; ``None`` draws from numpy's global random state, so repeated calls
            give new samples.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Generated samples, in the units of the training data.
        """
        check_is_fitted(self)
        n_samples = self._check_n_samples(n_samples)
        # The torch generator's seed comes from check_random_state(random_state).
        seed = draw_seed(random_state)
        generator = make_generator(seed, self.device_)
        module = self._module
        head_dim = module.head_dim
        tail_scale = math.sqrt(module.tail_variance)

        def draw(rows):
            n_rows = rows.stop - rows.start
            head = sample_reverse_sde(
                module.head(),
                n_rows,
                head_dim,
                t_min=module.t_min,
                n_steps=self.n_sampling_steps,
                generator=generator,
                device=self.device_,
            )
            # The tail is an exact Gaussian: drawn directly, not denoised.
            tail = tail_scale * torch.randn(
                (n_rows, self.n_features_in_ - head_dim), generator=generator,
                device=self.device_,
            )
            return torch.cat([head, tail], dim=1) @ module.basis.T

        with torch.no_grad():
            out = fill_in_batches(
                np.empty((n_samples, self.n_features_in_)), draw, device=self.device_,
                row_bytes=4 * module.floats_per_row(),
            )
        out *= self.scale_
        out += self.mean_
        return out

    def score_field(self, X, noise_level):
        """The learned score ``grad log p_sigma(X)`` of the data blurred at ``noise_level``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points at which to evaluate the score.
        noise_level : float
            Standard deviation ``sigma`` of the Gaussian blur, in the units of ``X``.

        Returns
        -------
        score : ndarray of shape (n_samples, n_features)
            Gradient of the log-density of the blurred data, in the units of ``X``.
        """
        X = self._check_input(X)
        level = self._check_noise_level(noise_level)
        with torch.no_grad():
            out = self._map_standardised(X, lambda y: self._module.score(y, self._levels(y, level)))
        return out / self.scale_

    def denoise(self, X, noise_level):
        """The learned denoiser ``E[x | x + sigma z = X]`` at smoothing level ``noise_level``.

        By Tweedie's formula it is ``X + sigma**2 score_field(X, sigma)``: the posterior mean
        of the clean point given a point blurred by Gaussian noise of standard deviation
        ``sigma``. Near a stratum at small ``sigma`` it is close to the projection onto it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Blurred points.
        noise_level : float
            Standard deviation ``sigma`` of the Gaussian blur, in the units of ``X``.

        Returns
        -------
        denoised : ndarray of shape (n_samples, n_features)
            Posterior mean of the clean point, in the units of ``X``.
        """
        X = self._check_input(X)
        level = self._check_noise_level(noise_level)
        with torch.no_grad():
            out = self._map_standardised(
                X, lambda y: self._module.denoise(y, self._levels(y, level))
            )
        return out * self.scale_ + self.mean_

    def denoiser_jacobian(self, X, noise_level):
        """Jacobian of :meth:`denoise` at every point.

        Its symmetric part is close to the orthogonal projector onto the tangent space of
        the stratum near the point (eigenvalues near 1 along the stratum, near 0 across
        it), which is what :class:`~sklearn_strata.ScoreDimensionEstimator` reads. The
        Jacobian is dimensionless, so it is the same in the units of ``X`` as in any
        rescaling of them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points at which to differentiate the denoiser.
        noise_level : float
            Standard deviation ``sigma`` of the Gaussian blur, in the units of ``X``.

        Returns
        -------
        jacobian : ndarray of shape (n_samples, n_features, n_features)
            ``jacobian[i, j, k]`` is the derivative of output ``j`` by input ``k`` at row
            ``i``.
        """
        X = self._check_input(X)
        level = self._check_noise_level(noise_level)
        n_features = X.shape[1]
        return self._map_standardised(
            X, lambda y: denoiser_jacobian(self._module, y, level),
            out=np.empty((X.shape[0], n_features, n_features)),
            # the forward pass, one backward pass per learned output, and the float32
            # Jacobian
            copies=self._module.head_dim + 2, extra_floats=n_features**2,
        )

    def _map_standardised(self, X, compute, out=None, *, copies=1, extra_floats=0):
        """``compute`` applied to ``X`` standardised, on the device, batch by batch.

        ``compute(y)`` maps a float32 tensor of standardised rows to their outputs; ``out``
        (default: like ``X``) receives them. A row holds ``copies`` times the network's
        activations and ``extra_floats`` more float32 numbers.
        """
        out = np.empty_like(X) if out is None else out
        floats = copies * self._module.floats_per_row() + extra_floats

        def compute_rows(rows):
            return compute(to_tensor(self._standardise(X[rows]), self.device_))

        return fill_in_batches(
            out, compute_rows, row_bytes=4 * floats + 24 * X.shape[1], device=self.device_
        )

    def _levels(self, y, level):
        """The smoothing level ``level`` for every row of ``y``."""
        return torch.full((y.shape[0],), level, device=self.device_)

    def _check_noise_level(self, noise_level):
        """Validate a noise level in the units of ``X``; return it in standardised units."""
        if (
            isinstance(noise_level, bool)
            or not isinstance(noise_level, Real)
            or not np.isfinite(noise_level)
            or noise_level <= 0
        ):
            raise ValueError(f"noise_level must be a positive finite float, got {noise_level!r}.")
        return float(noise_level) / self.scale_

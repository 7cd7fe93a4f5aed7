"""Sieve maximum likelihood with a dimension-aware mixture of variational auto-encoders."""

import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.cluster import KMeans
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import deprecated
from sklearn.utils._param_validation import (
    HasMethods,
    Hidden,
    Interval,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import LRScheduler
from torch.optim.lr_scheduler import LambdaLR

from ..dimension._reference import ambient_noise_std
from ..utils import (
    BaseTorchEstimator,
    draw_seed,
    fill_in_batches,
    fit_nested,
    is_fitted,
    make_generator,
    seeded_construction,
    spawn_seeds,
    to_tensor,
)
from ..utils._validation import rollback_on_error
from ._charts import split_into_charts
from ._vae_network import HoldThenCosine, MixtureEMStep, MixtureWarmup, VAEMixtureModule

# max_epochs="auto": this many epochs, or fewer on large data, so that training takes
# about _TARGET_TRAIN_STEPS optimisation steps (300 epochs of 20 batches). Measured on
# line_disk_ball in R^10 (benchmarks/RESULTS.md, "Fit time"): at 5,000 points 154 epochs
# score held-out points within 0.01 nat of 300 epochs, in half the time.
_MAX_AUTO_EPOCHS = 300
_TARGET_TRAIN_STEPS = 6000
# Fraction of the epochs during which the responsibilities stay at the initial assignment.
_WARMUP_FRACTION = 0.25
# Fraction of the epochs, at the end, over which the learning rate decays to zero.
_ANNEAL_FRACTION = 0.25
# Floor of the learned decoder noise, in standardised units (see _noise_floors).
_MIN_DECODER_NOISE = 1e-3


def _noise_floors(X, latent_dims, scale):
    """Floor of each stratum's learned decoder noise, in standardised units.

    Where ``X`` carries isotropic ambient noise of standard deviation ``tau`` (measured on
    its trailing principal directions), a stratum of dimension ``d`` leaves residuals of
    variance ``tau**2`` in its ``D - d`` normal directions, so its isotropic decoder noise
    is at least ``tau * sqrt((D - d) / D)``. The noise level learned from the training
    reconstructions falls below it when the decoders follow the training points' noise:
    on the mixed high-dimensional preset in R^60 at noise 0.05 the 5-sphere's four charts
    learned 0.030, and held-out points scored 4.8 nats there against the Gaussian
    mixture's 79.3.
    """
    tau = ambient_noise_std(X) / scale
    n_features = X.shape[1]
    return [
        max(_MIN_DECODER_NOISE, tau * math.sqrt((n_features - d) / n_features))
        for d in latent_dims
    ]
# Fewest neighbors (else 3 per feature) of the local PCA that matches points to latent
# dimensions at initialisation.
_N_NEIGHBORS = 20
# Rows whose neighborhoods the local PCA reads (the others copy their nearest one's).
_MAX_LOCAL_PCA_ROWS = 20000
# Rows among which the point-mass components' seeds are searched (quadratic cost).
_MAX_SEED_ROWS = 5000


def _check_int_list(value, name, *, allow_zero, allow_empty=False):
    values = list(np.atleast_1d(np.asarray(value, dtype=object)))
    if not values and not allow_empty:
        raise InvalidParameterError(
            f"{name} must be a non-empty list of integers, got {value!r}."
        )
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, Integral | np.integer):
            raise InvalidParameterError(f"{name} must contain integers only, got {value!r}.")
        if v < 0 or (v == 0 and not allow_zero):
            bound = "non-negative" if allow_zero else "positive"
            raise InvalidParameterError(
                f"{name} must contain {bound} integers only, got {value!r}."
            )
        out.append(int(v))
    return out


def _local_dimensions(X, n_neighbors, seed):
    """Local PCA dimension of every row: position of the largest gap between the
    log-variances of the principal directions of its neighborhood.

    Above ``_MAX_LOCAL_PCA_ROWS`` rows, the neighborhoods are those of a random subset of
    that many rows (a neighbor search over every row grows faster than the rows), and
    every other row takes the dimension of its nearest row in the subset.
    """
    if len(X) > _MAX_LOCAL_PCA_ROWS:
        sub = np.random.default_rng(seed).choice(len(X), _MAX_LOCAL_PCA_ROWS, replace=False)
        dims_sub = _local_dimensions(X[sub], n_neighbors, seed)
        nearest = NearestNeighbors(n_neighbors=1).fit(X[sub])

        def nearest_dimension(rows):
            return dims_sub[nearest.kneighbors(X[rows], return_distance=False)[:, 0]]

        return fill_in_batches(
            np.empty(len(X), dtype=int), nearest_dimension, row_bytes=8 * (X.shape[1] + 2)
        )
    n_dirs = min(n_neighbors, X.shape[1])
    if n_dirs < 2:
        return np.full(len(X), n_dirs)
    nn = NearestNeighbors(n_neighbors=n_neighbors + 1).fit(X)

    def largest_gap(rows):
        idx = nn.kneighbors(X[rows], return_distance=False)
        neigh = X[idx] - X[idx].mean(axis=1, keepdims=True)
        s = np.linalg.svd(neigh, compute_uv=False)[:, :n_dirs] ** 2
        log_s = np.log(np.maximum(s, 1e-12 * s[:, :1] + 1e-300))
        return np.argmax(log_s[:, :-1] - log_s[:, 1:], axis=1) + 1

    # the neighborhoods, twice, their centered copy and the SVD's workspace
    row_bytes = 4 * 8 * (n_neighbors + 1) * X.shape[1]
    return fill_in_batches(np.empty(len(X), dtype=int), largest_gap, row_bytes=row_bytes)


def _seed_point_masses(X, resp, point_masses, seed):
    """Give each point-mass component the tightest neighborhood of ``n / (4 K)`` points.

    Local PCA cannot see a point mass (its neighborhood is isotropic noise), but it is the
    densest place of the data. The neighborhoods of every row would hold ``n^2 / (4 K)``
    entries, so the centers are searched among at most ``_MAX_SEED_ROWS`` rows; the members
    are then every row within the radius found there. ``resp`` is modified in place.
    """
    n, k = resp.shape
    if n <= _MAX_SEED_ROWS:
        sub = np.arange(n)
    else:
        sub = np.sort(np.random.default_rng(seed).choice(n, _MAX_SEED_ROWS, replace=False))
    X_sub = X[sub]
    n_neighbors = min(len(sub) - 1, max(5, len(sub) // (4 * k)))
    dist, idx = NearestNeighbors(n_neighbors=n_neighbors).fit(X_sub).kneighbors(X_sub)
    everyone = NearestNeighbors().fit(X) if len(sub) < n else None
    taken = np.zeros(n, dtype=bool)
    for comp in point_masses:
        center = np.argmin(np.where(taken[sub], np.inf, dist[:, -1]))
        if everyone is None:
            members = idx[center]
        else:
            members = everyone.radius_neighbors(
                X_sub[center : center + 1], radius=dist[center, -1], return_distance=False
            )[0]
        members = members[~taken[members]]
        resp[members] = 0.0
        resp[members, comp] = 1.0
        taken[members] = True


def _initial_responsibilities(X, latent_dims, seed):
    """Assign each point to a component whose latent dimension matches its local dimension.

    Points go to the components of the nearest latent dimension (ties to the larger one,
    which can still model the point); components of equal dimension split their points
    by k-means. Returns one-hot responsibilities of shape ``(n_samples, K)``.
    """
    n, k = len(X), len(latent_dims)
    dims = np.asarray(latent_dims)
    unique_dims = np.unique(dims)
    if len(unique_dims) > 1 and n > 3:
        local = _local_dimensions(X, min(max(_N_NEIGHBORS, 3 * X.shape[1]), n - 1), seed)
        gap = np.abs(local[:, None] - unique_dims[None, :]) - 1e-3 * unique_dims[None, :]
        group = unique_dims[np.argmin(gap, axis=1)]
    else:
        group = np.full(n, unique_dims[0])
    resp = np.zeros((n, k))
    for d in unique_dims:
        comps = np.flatnonzero(dims == d)
        members = np.flatnonzero(group == d)
        if len(members) == 0:
            continue
        if len(comps) == 1:
            labels = np.zeros(len(members), dtype=int)
        elif len(members) < len(comps):
            labels = np.arange(len(members))
        else:
            km = KMeans(n_clusters=len(comps), n_init=3, random_state=seed)
            labels = km.fit_predict(X[members])
        resp[members, comps[labels]] = 1.0
    empty = resp.sum(axis=0) == 0
    point_masses = np.flatnonzero(empty & (dims == 0))
    if len(point_masses) and n > 2:
        _seed_point_masses(X, resp, point_masses, seed)
        empty = resp.sum(axis=0) == 0
    if empty.any():
        # A component no point matched learns from everything at a small weight.
        resp[:, empty] = 1.0 / k
        resp /= resp.sum(axis=1, keepdims=True)
    return resp


def _default_stratum_counter(seed):
    from ..strata import StratumCounter

    return StratumCounter(random_state=seed)


class StratifiedVAEMixture(BaseTorchEstimator):
    """Dimension-aware mixture of variational auto-encoders (sieve MLE on strata).

    The density is a mixture of ``K`` deep latent-variable models of different latent
    dimensions ``d_k``, one per stratum,

    ``p(x) = sum_k pi_k ∫ N(x; G_k(z), sigma_k^2 I) N(z; 0, I_{d_k}) dz``,

    fitted by maximising ``sum_i logsumexp_k(log pi_k + ELBO_k(x_i))`` where ``ELBO_k`` is
    the evidence lower bound of component ``k`` (a VAE with an MLP encoder and decoder). The
    weights ``pi_k`` and the noise levels ``sigma_k`` get closed-form EM updates from the
    responsibilities ``r_k(x) = softmax_k(log pi_k + ELBO_k(x))`` after every epoch; a
    component of latent dimension ``0`` is a blurred point mass. A curved stratum is
    modelled by several components of its dimension, its *charts* (up to ``max_charts``,
    split by k-means until each is nearly flat and has no hole; they share the stratum's
    noise level): one decoder cannot cover a closed stratum such as a circle or a torus
    without a seam. After training, a last EM step sets the weights and every
    component's latent prior from the responsibilities: the prior takes the moments of
    the component's aggregate posterior (folded into its networks, so that it reads
    ``N(0, I)`` again), which keeps the samples off the parts of the latent space the
    data never used. Comparing held-out :meth:`score` across ``latent_dims`` (e.g. with
    :class:`~sklearn.model_selection.GridSearchCV`) is the sieve model selection.

    ``X`` is centered and scaled by one common factor inside :meth:`fit` (so isotropic noise
    stays isotropic); every output is in the units of the original ``X``. Each component's
    networks then work in the frame of its own points (centered on their mean and scaled
    by their spread), so a stratum ten times smaller than another is learned as finely.

    Parameters
    ----------
    latent_dims : "auto" or list of int, default="auto"
        Latent dimension of every component. ``"auto"`` takes the number of strata, their
        dimensions and the initial assignment of the points from a
        :class:`~sklearn_strata.strata.StratumCounter`. With a list, the points are first
        assigned to components by matching their local PCA dimension to ``latent_dims``
        (components of equal dimension split their points by k-means).
    hidden_dims : tuple of int, default=(128, 128)
        Widths of the hidden layers of every encoder (decoders mirror them).
    max_charts : int, default=4
        Most components (charts) per stratum of dimension 1 or more. A stratum whose
        points need more principal directions than its dimension (its ``d+1``-th
        principal variance above 5% of its ``d``-th), or whose mean lies in a hole of
        it (a ring, a band), is split in two by k-means, and so on while a piece is
        curved or has a hole and has at least 100 points per latent dimension. ``1`` gives one
        component per stratum. The training time grows with the number of charts.
    decoder_noise : float or None, default=None
        Standard deviation of the Gaussian decoder noise, in the units of ``X``. ``None``
        learns one level per component (EM update, floored at ``1e-3`` of the data scale).

        .. versionadded:: 0.1
           Renamed from ``noise_level``, the name of the smoothing level of the
           diffusion estimators.
    max_epochs : int or "auto", default="auto"
        Number of passes over the data. The first quarter keeps the responsibilities at
        the initial assignment; over the last quarter the learning rate decays to zero.
        ``"auto"`` gives 300 epochs up to 20 batches per epoch (2,560 rows at the default
        ``batch_size``) and about 6,000 optimisation steps on larger data, so the
        training time stops growing with the number of rows.

        .. versionchanged:: 0.1
           The default was 300 epochs whatever the number of rows.
    batch_size : int, default=128
        Rows per optimisation step.
    lr : float, default=1e-3
        Learning rate of the Adam optimiser; over the last quarter of the epochs it decays
        to zero (cosine).
    n_importance_samples : int, default=32
        Importance samples per component of the IWAE bound used by :meth:`score_samples`,
        :meth:`predict_proba` and :meth:`predict`: half from the encoder, half from the
        Laplace approximation of the posterior (tight where the encoder is not, as in many
        latent dimensions at low noise).
    device : {"auto", "cpu", "cuda"}, default="cpu"
        Device for training and inference.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the batches, the training noise and the
        importance samples. With a fixed seed, fits are reproducible; inference methods
        are deterministic for a fitted model. :meth:`sample` takes its own
        ``random_state``.
    verbose : bool, default=False
        Show a progress bar during training.
    stratum_counter : estimator or None, default=None
        :class:`~sklearn_strata.strata.StratumCounter` used when ``latent_dims="auto"``.
        An unfitted one is cloned, then fitted on ``X``; a fitted one is reused as it is
        (its ``strata_dims_``, and its ``predict(X)`` as the initial assignment), which
        saves a second fit when the counter was already fitted on the same data. ``None``
        fits the default one.
    accelerator : accelerate.Accelerator or None, default=None
        An ``accelerate.Accelerator``; when given, training goes through skorch's
        :class:`~skorch.hf.AccelerateMixin` so it runs on every device the accelerator
        manages (multi-GPU with ``accelerate launch``). None trains on ``device``.
    noise_level : float or None, default="deprecated"
        Deprecated name of ``decoder_noise``.

        .. deprecated:: 0.1
           ``noise_level`` was renamed ``decoder_noise`` and will be removed in a future
           version.

    Attributes
    ----------
    latent_dims_ : list of int
        Latent dimension of every component (stratum).
    n_components_ : int
        Number of components (strata) ``K``.
    weights_ : ndarray of shape (n_components,)
        Mixture weights ``pi`` (of every stratum: the sum of its charts' weights).
    decoder_noise_ : ndarray of shape (n_components,)
        Decoder noise level of every component, in the units of ``X``.
    n_charts_ : ndarray of shape (n_components,)
        Number of charts of every component.
    chart_weights_ : ndarray of shape (`n_charts_.sum()`,)
        Weight of every chart, the charts of the first component first.
    noise_level_ : ndarray of shape (n_components,)
        Deprecated alias of ``decoder_noise_``.

        .. deprecated:: 0.1
           ``noise_level_`` will be removed in a future version; use ``decoder_noise_``.
    mean_ : ndarray of shape (n_features,)
        Per-feature mean removed from ``X``.
    scale_ : float
        Common scale ``X`` is divided by (root mean per-feature variance).
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the mixture module.
    loss_curve_ : list of float
        Mean training loss of every epoch (from ``net_.history``), as in
        :class:`~sklearn.neural_network.MLPRegressor`.
    n_iter_ : int
        Number of epochs run.
    device_ : torch.device
        Device the model lives on.
    stratum_counter_ : estimator
        The fitted stratum counter (only when ``latent_dims="auto"``).
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit` (only when ``X`` has string column names).

    See Also
    --------
    sklearn.mixture.GaussianMixture : Mixture of full-dimensional Gaussians.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_strata.mixture import StratifiedVAEMixture
    >>> rng = np.random.RandomState(0)
    >>> t = rng.uniform(-1, 1, size=(200, 1))
    >>> X = np.hstack([t, 0.5 * t**2, 0.01 * rng.randn(200, 1)])
    >>> vae = StratifiedVAEMixture(latent_dims=[1], hidden_dims=(16,), max_epochs=20,
    ...                            random_state=0).fit(X)
    >>> vae.latent_dims_, vae.weights_
    ([1], array([1.]))
    >>> vae.score_samples(X[:3]).shape
    (3,)
    >>> X_new, labels = vae.sample(5)
    >>> X_new.shape
    (5, 3)
    """

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        "max_epochs": [
            *BaseTorchEstimator._parameter_constraints["max_epochs"],
            StrOptions({"auto"}),
        ],
        "latent_dims": [StrOptions({"auto"}), "array-like"],
        "hidden_dims": ["array-like"],
        "decoder_noise": [None, Interval(Real, 0, None, closed="neither")],
        "noise_level": [
            None,
            Interval(Real, 0, None, closed="neither"),
            Hidden(StrOptions({"deprecated"})),
        ],
        "n_importance_samples": [Interval(Integral, 1, None, closed="left")],
        "max_charts": [Interval(Integral, 1, None, closed="left")],
        "stratum_counter": [None, HasMethods(["fit"])],
    }

    # float32 input stays float32 at inference: it is standardised batch by batch, so a
    # float64 copy of every row is never made (issue #7).
    _input_dtype = [np.float64, np.float32]

    def __init__(
        self,
        latent_dims="auto",
        *,
        hidden_dims=(128, 128),
        max_charts=4,
        decoder_noise=None,
        max_epochs="auto",
        batch_size=128,
        lr=1e-3,
        n_importance_samples=32,
        device="cpu",
        random_state=None,
        verbose=False,
        stratum_counter=None,
        accelerator=None,
        noise_level="deprecated",
    ):
        self.latent_dims = latent_dims
        self.hidden_dims = hidden_dims
        self.max_charts = max_charts
        self.decoder_noise = decoder_noise
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.n_importance_samples = n_importance_samples
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.stratum_counter = stratum_counter
        self.accelerator = accelerator
        self.noise_level = noise_level

    # ------------------------------------------------------------------ fitting

    @_fit_context(
        # the stratum counter is a nested estimator: its parameters are validated too
        prefer_skip_nested_validation=False
    )
    @rollback_on_error
    def fit(self, X, y=None):
        """Fit the mixture to ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.

        Returns
        -------
        self : StratifiedVAEMixture
            The fitted estimator.
        """
        X = np.asarray(self._check_fit_input(X), dtype=np.float64)
        hidden_dims = _check_int_list(self.hidden_dims, "hidden_dims", allow_zero=False)
        decoder_noise = self._check_decoder_noise()
        seed = draw_seed(self.random_state)
        # The third stream seeded sample() before it took its randomness from its own
        # random_state; it is still split off so that the other two stay as they were.
        counter_seed, self._importance_seed, _ = spawn_seeds(seed, 3)
        n_samples, n_features = X.shape

        self.mean_ = X.mean(axis=0)
        scale = float(np.sqrt(np.mean(X.var(axis=0))))
        self.scale_ = scale if np.isfinite(scale) and scale > 1e-12 else 1.0
        Xs = (X - self.mean_) / self.scale_

        if isinstance(self.latent_dims, str):
            latent_dims, resp = self._auto_components(X, counter_seed)
        else:
            latent_dims = _check_int_list(self.latent_dims, "latent_dims", allow_zero=True)
            if n_samples < len(latent_dims):
                raise ValueError(
                    f"n_samples={n_samples} should be >= the number of components "
                    f"len(latent_dims)={len(latent_dims)}."
                )
            resp = _initial_responsibilities(Xs, latent_dims, seed)

        chart_dims, chart_strata, resp = split_into_charts(
            Xs, latent_dims, resp, self.max_charts, seed
        )
        noise = None if decoder_noise is None else decoder_noise / self.scale_
        with seeded_construction(seed):
            module = VAEMixtureModule(
                n_features,
                chart_dims,
                hidden_dims,
                decoder_noise=noise,
                min_decoder_noise=_noise_floors(X, latent_dims, self.scale_),
                chart_strata=chart_strata,
            )
        counts = resp.sum(axis=0)
        for k, comp in enumerate(module.components):
            center, spread = np.zeros(n_features), 1.0
            if counts[k] > 0:
                center = resp[:, k] @ Xs / counts[k]
                mean_square = resp[:, k] @ ((Xs - center) ** 2).mean(axis=1) / counts[k]
                spread = float(np.sqrt(mean_square)) if mean_square > 1e-12 else 1.0
            comp.set_center(torch.as_tensor(center, dtype=torch.float32), spread)

        # The warm-up and the EM update of the weights and noise levels are skorch
        # callbacks; under a distributed accelerator every process runs the M-step on its
        # own rows, and fit_loss_module gives every process the main one's buffers after.
        # The learning rate is constant, then annealed to zero over the last epochs: at a
        # constant rate to the end the decoders keep jittering, which inflates the learned
        # noise levels by a different amount in every fit, and in the sieve that
        # optimisation noise, not the latent dimension, decided between nested candidates
        # (issue #15). Annealing from the start instead can leave a component on its
        # collapsed plateau (see HoldThenCosine).
        max_epochs = self._n_epochs(X.shape[0])
        callbacks = [
            ("warmup", MixtureWarmup(int(_WARMUP_FRACTION * max_epochs))),
            ("em_step", MixtureEMStep()),
            ("anneal", LRScheduler(
                policy=LambdaLR,
                lr_lambda=HoldThenCosine(max_epochs, _ANNEAL_FRACTION),
                step_every="epoch",
            )),
        ]
        self._train(
            module, np.hstack([Xs, resp]), seed=seed, max_epochs=max_epochs,
            extra_callbacks=callbacks,
        )
        self.latent_dims_ = list(latent_dims)
        self.n_components_ = len(latent_dims)
        self._chart_strata = np.asarray(chart_strata)
        self.n_charts_ = np.bincount(self._chart_strata, minlength=len(latent_dims))

        # Final EM step: from the responsibilities of the trained model, the weights and
        # every component's latent prior (see VAEMixtureModule.fit_latent_priors).
        log_joint = self._log_joint_charts(Xs)
        resp = np.exp(log_joint - np.logaddexp.reduce(log_joint, axis=1, keepdims=True))
        weights = np.maximum(resp.mean(axis=0), 1e-6)
        module = self.net_.module_
        module.fit_latent_priors(to_tensor(Xs, self.device_), to_tensor(resp, self.device_))
        with torch.no_grad():
            module.log_weights.copy_(torch.as_tensor(np.log(weights / weights.sum())))
        self.chart_weights_ = np.exp(module.log_weights.double().cpu().numpy())
        self.weights_ = np.bincount(
            self._chart_strata, weights=self.chart_weights_, minlength=len(latent_dims)
        )
        self.decoder_noise_ = np.exp(module.log_noise.double().cpu().numpy()) * self.scale_
        return self

    def _check_decoder_noise(self):
        """``decoder_noise``, or the value of its deprecated name ``noise_level``."""
        # TODO: remove noise_level (deprecated in 0.1) in a future version.
        if isinstance(self.noise_level, str) and self.noise_level == "deprecated":
            return self.decoder_noise
        if isinstance(self.noise_level, bool):
            # check_no_bool_numbers skips it: its constraints include a hidden option.
            raise InvalidParameterError(
                "The 'noise_level' parameter of StratifiedVAEMixture must be a number or "
                f"None, not a bool. Got {self.noise_level!r} instead."
            )
        warnings.warn(
            "`noise_level` was renamed `decoder_noise` in 0.1 and will be removed in a "
            "future version; use `decoder_noise`.",
            FutureWarning,
            stacklevel=2,
        )
        if self.decoder_noise is not None:
            raise ValueError(
                "Both `noise_level` (deprecated) and `decoder_noise` are set; set only "
                "`decoder_noise`."
            )
        return self.noise_level

    # TODO: remove the deprecated alias in a future version.
    @deprecated(
        "Attribute `noise_level_` was renamed `decoder_noise_` and will be removed in a "
        "future version; use `decoder_noise_`."
    )
    @property
    def noise_level_(self):
        return self.decoder_noise_

    def __setstate__(self, state):
        # Estimators pickled before charts: one chart per component.
        state.setdefault("max_charts", 1)
        if "weights_" in state and "n_charts_" not in state:
            state["n_charts_"] = np.ones(len(state["weights_"]), dtype=int)
            state["chart_weights_"] = state["weights_"]
            state["_chart_strata"] = np.arange(len(state["weights_"]))
        # Estimators pickled before the rename of noise_level to decoder_noise.
        if "decoder_noise" not in state:
            state["decoder_noise"] = state.get("noise_level")
            state["noise_level"] = "deprecated"
        if "noise_level_" in state:
            state["decoder_noise_"] = state.pop("noise_level_")
        super().__setstate__(state)

    def _auto_components(self, X, seed):
        counter = self.stratum_counter
        if counter is not None and is_fitted(counter):
            # A fitted counter is reused: its strata, and the stratum of each row of X.
            if getattr(counter, "n_features_in_", X.shape[1]) != X.shape[1]:
                raise ValueError(
                    f"stratum_counter was fitted on {counter.n_features_in_} features but X "
                    f"has {X.shape[1]}."
                )
            labels = np.asarray(counter.predict(X))
        else:
            counter = fit_nested(counter, X, seed, _default_stratum_counter)
            labels = np.asarray(counter.labels_)
        self.stratum_counter_ = counter
        latent_dims = [int(d) for d in counter.strata_dims_]
        if not latent_dims:
            raise ValueError("latent_dims='auto': the stratum counter found no stratum in X.")
        resp = np.zeros((len(X), len(latent_dims)))
        known = (labels >= 0) & (labels < len(latent_dims))
        resp[np.flatnonzero(known), labels[known]] = 1.0
        resp[~known] = 1.0 / len(latent_dims)
        return latent_dims, resp

    # ---------------------------------------------------------------- inference

    def _importance_noise(self, device):
        # Drawn on the CPU (it is small), so that a model scores alike on every device.
        generator = make_generator(self._importance_seed, "cpu")
        return [
            torch.randn((self.n_importance_samples, d), generator=generator).to(device)
            for d in self._chart_dims()
        ]

    def _chart_dims(self):
        return [self.latent_dims_[s] for s in self._chart_strata]

    @torch.no_grad()
    def _n_epochs(self, n_samples):
        """``max_epochs``, with ``"auto"`` resolved for ``n_samples`` training rows."""
        if self.max_epochs != "auto":
            return self.max_epochs
        steps_per_epoch = math.ceil(n_samples / self.batch_size)
        return max(min(_MAX_AUTO_EPOCHS, math.ceil(_TARGET_TRAIN_STEPS / steps_per_epoch)), 1)

    def _log_joint_charts(self, Xs, raw=False):
        """``log pi_c + log p_c(x)`` (IWAE) of every chart, standardised units, (n, C).

        With ``raw=True``, ``Xs`` is in the units of ``X`` and is standardised batch by
        batch: a standardised copy of every row would take as much memory as ``X`` (twice
        while it is computed), issue #7.
        """
        module = self.net_.module_
        module.eval()
        device = self.device_
        eps = self._importance_noise(device)

        def log_joint(rows):
            batch = self._standardise(Xs[rows]) if raw else Xs[rows]
            x = to_tensor(batch, device)
            return (module.component_log_likelihoods(x, eps) + module.log_weights).double()

        floats = module.inference_floats(self.n_importance_samples)
        return fill_in_batches(
            np.empty((len(Xs), len(self._chart_strata))), log_joint, device=device,
            row_bytes=4 * floats + 24 * Xs.shape[1],
        )

    def _log_joint_standardised(self, Xs, raw=False):
        """``log pi_k + log p_k(x)`` of every component (stratum), shape (n, K).

        The log-sum of the charts of each component.
        """
        log_joint = self._log_joint_charts(Xs, raw=raw)
        if log_joint.shape[1] == self.n_components_:
            return log_joint
        out = np.empty((len(Xs), self.n_components_))
        for k in range(self.n_components_):
            out[:, k] = np.logaddexp.reduce(log_joint[:, self._chart_strata == k], axis=1)
        return out

    def _log_resp_standardised(self, Xs, raw=False):
        log_joint = self._log_joint_standardised(Xs, raw=raw)
        return log_joint - np.logaddexp.reduce(log_joint, axis=1, keepdims=True)

    def score_samples(self, X):
        """Log-density of every sample (importance-weighted lower bound).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to evaluate.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            IWAE bound of ``log p(x)`` with ``n_importance_samples`` samples per component,
            in the units of ``X``. Deterministic for a fitted estimator.
        """
        log_joint = self._log_joint_standardised(self._check_input(X), raw=True)
        log_det = self.n_features_in_ * np.log(self.scale_)
        return np.logaddexp.reduce(log_joint, axis=1) - log_det

    def predict_proba(self, X):
        """Posterior probability of every component (stratum) for every sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to assign.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_components)
            Responsibilities ``r_k(x)``; rows sum to one.
        """
        return np.exp(self._log_resp_standardised(self._check_input(X), raw=True))

    def predict(self, X):
        """Most probable component (stratum) of every sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to assign.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the component with the largest responsibility.
        """
        return np.argmax(self._log_joint_standardised(self._check_input(X), raw=True), axis=1)

    def sample(self, n_samples=1, component=None, random_state=None):
        """Draw samples from the fitted mixture.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.
        component : int or None, default=None
            Draw only from this component (stratum); ``None`` draws components with
            probabilities ``weights_``.
        random_state : int, RandomState instance or None, default=None
            Randomness of the draw, as in
            :meth:`sklearn.neighbors.KernelDensity.sample`: an int gives reproducible
            samples; ``None`` draws from numpy's global random state, so repeated calls
            give new samples.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Samples, in the units of the training data, grouped by component.
        labels : ndarray of shape (n_samples,)
            Component of every sample.
        """
        check_is_fitted(self)
        n_samples = self._check_n_samples(n_samples)
        # The torch generator's seed comes from check_random_state(random_state).
        seed = draw_seed(random_state)
        chart_weights = self.chart_weights_
        if component is None:
            counts = np.random.RandomState(seed).multinomial(
                n_samples, chart_weights / chart_weights.sum()
            )
        else:
            if isinstance(component, bool) or not isinstance(component, Integral | np.integer):
                raise ValueError(f"component must be an integer or None, got {component!r}.")
            if not 0 <= component < self.n_components_:
                raise ValueError(
                    f"component={component} is out of range; the mixture has "
                    f"{self.n_components_} components."
                )
            # The component's charts, drawn by their weights.
            weights = np.where(self._chart_strata == component, chart_weights, 0.0)
            counts = np.random.RandomState(seed).multinomial(n_samples, weights / weights.sum())
        module = self.net_.module_
        module.eval()
        device = self.device_
        generator = make_generator(seed, device)
        # Filled in place, batch by batch: a list of batches, its concatenation and the
        # rescaled copies would hold ~3 times the output at once (issue #7).
        X = np.empty((n_samples, self.n_features_in_))
        labels = np.repeat(self._chart_strata, counts)
        row_bytes = 4 * module.inference_floats(1) + 8 * self.n_features_in_
        start = 0
        for k, count in enumerate(counts):

            def draw(rows, k=k):
                return module.sample_component(k, rows.stop - rows.start, generator)

            fill_in_batches(X[start : start + count], draw, row_bytes=row_bytes, device=device)
            start += count
        X *= self.scale_
        X += self.mean_
        return X, labels

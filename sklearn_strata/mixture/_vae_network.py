"""The torch module behind :class:`~sklearn_strata.mixture.StratifiedVAEMixture`.

``K`` variational auto-encoders share one ambient space; component ``k`` has a latent
dimension ``d_k`` (possibly ``0``: a point mass blurred by the noise), a standard normal
prior, an MLP decoder ``G_k`` and isotropic Gaussian decoder noise ``sigma_k`` (shared by
the components that are charts of one stratum, ``chart_strata``). The encoders
and decoders follow the gradient of the negative mixture ELBO
``-logsumexp_k(log pi_k + ELBO_k(x))``, the loss the module's ``forward`` computes. The
per-epoch work is done by skorch callbacks: :class:`MixtureWarmup` holds the
responsibilities at the initial assignment for the first epochs, and :class:`MixtureEMStep`
accumulates the responsibilities over each epoch and updates the mixture weights ``pi`` and
the noise levels EM-style (closed-form M-step) at its end.
"""

import math

import torch
from skorch.callbacks import Callback
from torch import nn

_LOG_2PI = math.log(2.0 * math.pi)
_LOGVAR_MIN, _LOGVAR_MAX = -20.0, 6.0
_MIN_WEIGHT = 1e-6


def _mlp(sizes):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.SiLU())
    return nn.Sequential(*layers)


class ComponentVAE(nn.Module):
    """One component: encoder ``q(z|x) = N(mu(x), diag var(x))`` and decoder ``G(z)``.

    Parameters
    ----------
    n_features : int
        Ambient dimension ``D``.
    latent_dim : int
        Latent dimension ``d`` (``0`` gives a learned constant ``G``).
    hidden_dims : tuple of int
        Widths of the hidden layers of the encoder (the decoder mirrors them).
    """

    def __init__(self, n_features, latent_dim, hidden_dims):
        super().__init__()
        self.n_features = int(n_features)
        self.latent_dim = int(latent_dim)
        hidden = [int(h) for h in hidden_dims]
        if self.latent_dim == 0:
            self.center = nn.Parameter(torch.zeros(self.n_features))
        else:
            self.encoder = _mlp([self.n_features, *hidden, 2 * self.latent_dim])
            self.decoder = _mlp([self.latent_dim, *hidden[::-1], self.n_features])
            # The component's own frame: its networks see and produce coordinates
            # centered on its points and scaled by their spread (see set_center).
            self.register_buffer("offset", torch.zeros(self.n_features))
            self.register_buffer("spread", torch.ones(()))

    def set_center(self, center, spread=1.0):
        """Place the component on its points: their mean ``center`` and their spread.

        ``spread`` is the root mean squared deviation of the points from ``center`` per
        coordinate. The encoder sees ``(x - center) / spread`` and the decoder's output is
        scaled back, so a small stratum is learned at the same scale as a large one: in
        the common standardisation a circle of radius 0.5 beside a disk of radius 5 was
        a tenth of the networks' scale, and its decoder collapsed to the mean with a
        noise level of the circle's size (held-out log-likelihood 1.6 instead of 22).
        """
        with torch.no_grad():
            if self.latent_dim == 0:
                self.center.copy_(center)
            else:
                self.offset.copy_(center)
                self.spread.fill_(float(spread))

    def _frame(self):
        # Modules pickled before the component frames decoded around the last bias.
        offset = getattr(self, "offset", None)
        if offset is None:
            return 0.0, 1.0
        return offset, self.spread

    def encode(self, x):
        """Return the posterior mean and log-variance, each of shape ``(n, d)``."""
        offset, spread = self._frame()
        h = self.encoder((x - offset) / spread)
        mu, logvar = h[:, : self.latent_dim], h[:, self.latent_dim :]
        return mu, logvar.clamp(_LOGVAR_MIN, _LOGVAR_MAX)

    def decode(self, z):
        """Map latent codes of shape ``(..., d)`` to the ambient space ``(..., D)``."""
        if self.latent_dim == 0:
            return self.center.expand(*z.shape[:-1], self.n_features)
        offset, spread = self._frame()
        return offset + spread * self.decoder(z)


def _gaussian_log_density(sq_dist, log_sigma, n_features):
    return -0.5 * sq_dist * torch.exp(-2.0 * log_sigma) - n_features * (log_sigma + 0.5 * _LOG_2PI)


def _decoder_jacobian(comp, z):
    """Jacobian ``dG/dz`` of a component's decoder at every row of ``z``, (n, D, d).

    The ``d`` tangent directions are carried through the decoder's layers alongside the
    rows (forward mode by hand): the decoder is a stack of linear layers and SiLUs. Unlike
    ``torch.func.jacfwd``, whose dual levels are global, this runs in several threads at
    once (dask's threaded scheduler calls ``score_samples`` so).
    """
    h = z
    tangent = torch.eye(z.shape[1], dtype=z.dtype, device=z.device).expand(len(z), -1, -1)
    for layer in comp.decoder:
        if isinstance(layer, nn.Linear):
            tangent = tangent @ layer.weight.T
            h = layer(h)
        elif isinstance(layer, nn.SiLU):
            gate = torch.sigmoid(h)
            tangent = tangent * (gate * (1.0 + h * (1.0 - gate)))[:, None, :]
            h = layer(h)
        else:  # pragma: no cover - the decoders are built by _mlp
            raise TypeError(f"no Jacobian rule for {type(layer).__name__}")
    _, spread = comp._frame()
    return spread * tangent.transpose(1, 2)


def _laplace_proposal(comp, x, mu, log_sigma):
    """Gaussian approximation of the posterior ``p(z|x)`` of a component, per row.

    One Gauss-Newton step on ``log p(x|z) + log p(z)`` from the encoder's mean ``mu``
    moves to ``center``; the precision there is ``H = I + J^T J / sigma^2``, ``J`` the
    decoder's Jacobian (exact for a linear decoder). Returns ``center`` (n, d), the
    Cholesky factor ``L`` of ``H`` (n, d, d; the identity where the factorisation fails)
    and ``log det L`` (n,), the log-density's normaliser up to the ``d/2 log 2 pi`` every
    proposal shares.
    """
    d = mu.shape[1]
    precision = torch.exp(-2.0 * log_sigma)
    eye = torch.eye(d, dtype=mu.dtype, device=mu.device)

    jac = _decoder_jacobian(comp, mu)
    hessian = eye + precision * jac.transpose(1, 2) @ jac
    gradient = precision * (jac.transpose(1, 2) @ (x - comp.decode(mu))[..., None])[..., 0] - mu
    step = torch.linalg.solve_ex(hessian, gradient[..., None])[0][..., 0]
    center = mu + torch.nan_to_num(step, nan=0.0, posinf=0.0, neginf=0.0)
    jac = _decoder_jacobian(comp, center)
    hessian = eye + precision * jac.transpose(1, 2) @ jac
    chol, info = torch.linalg.cholesky_ex(hessian)
    chol = torch.where((info == 0)[:, None, None], chol, eye)
    log_det = torch.log(torch.diagonal(chol, dim1=1, dim2=2)).sum(-1)
    return center, chol, log_det


class VAEMixtureModule(nn.Module):
    """Mixture of :class:`ComponentVAE` whose ``forward`` returns per-sample losses.

    The input of ``forward`` during training is ``[x, r0]``: the (standardised) data and, in
    the last ``K`` columns, the initial responsibilities used during the warm-up epochs
    (while ``warmup`` is true, set by :class:`MixtureWarmup`). In training mode, ``forward``
    leaves the batch's responsibilities and reconstruction errors (detached) in
    ``batch_statistics`` for :class:`MixtureEMStep`.

    Parameters
    ----------
    n_features : int
        Ambient dimension ``D``.
    latent_dims : list of int
        Latent dimension of each component.
    hidden_dims : tuple of int
        Hidden widths of the encoders and decoders.
    decoder_noise : float or None
        Fixed decoder noise (standardised units), or ``None`` to learn one per component.
    min_decoder_noise : float or list of float
        Floor of the learned noise levels: one for all, or one per stratum.
    chart_strata : list of int or None
        Stratum of every component. Components of one stratum (its charts) share one
        noise level; ``None`` makes every component a stratum of its own.
    """

    def __init__(
        self,
        n_features,
        latent_dims,
        hidden_dims,
        decoder_noise=None,
        min_decoder_noise=1e-3,
        chart_strata=None,
    ):
        super().__init__()
        self.n_features = int(n_features)
        self.latent_dims = [int(d) for d in latent_dims]
        self.n_components = len(self.latent_dims)
        self.components = nn.ModuleList(
            ComponentVAE(n_features, d, hidden_dims) for d in self.latent_dims
        )
        self.learn_noise = decoder_noise is None
        init_noise = 1.0 if decoder_noise is None else float(decoder_noise)
        k = self.n_components
        strata = list(range(k)) if chart_strata is None else [int(s) for s in chart_strata]
        n_strata = max(strata) + 1
        self.register_buffer("chart_strata", torch.tensor(strata, dtype=torch.long))
        self.register_buffer("log_weights", torch.full((k,), -math.log(k)))
        self.register_buffer("log_noise", torch.full((n_strata,), math.log(init_noise)))
        floor = torch.as_tensor(min_decoder_noise, dtype=torch.float32)
        self.register_buffer("min_log_noise", torch.log(floor).expand(n_strata).clone())
        self.generator = None
        self.warmup = False
        self.batch_statistics = None

    def component_log_noise(self, k):
        """Log decoder noise of component ``k``: that of its stratum."""
        strata = getattr(self, "chart_strata", None)  # absent in modules pickled before charts
        return self.log_noise[k if strata is None else strata[k]]

    # ---------------------------------------------------------------- training

    def elbo(self, x, generator):
        """One-sample ELBO of every component.

        Returns
        -------
        elbo : tensor of shape (n, K)
        sq_err : tensor of shape (n, K)
            Squared reconstruction error of the sample, for the noise M-step.
        """
        elbos, sq_errs = [], []
        for k, comp in enumerate(self.components):
            if comp.latent_dim == 0:
                sq = ((x - comp.center) ** 2).sum(-1)
                kl = torch.zeros_like(sq)
            else:
                mu, logvar = comp.encode(x)
                std = torch.exp(0.5 * logvar)
                eps = torch.randn(mu.shape, generator=generator, device=x.device, dtype=x.dtype)
                sq = ((x - comp.decode(mu + std * eps)) ** 2).sum(-1)
                kl = 0.5 * (mu**2 + std**2 - 1.0 - logvar).sum(-1)
            log_sigma = self.component_log_noise(k)
            elbos.append(_gaussian_log_density(sq, log_sigma, self.n_features) - kl)
            sq_errs.append(sq)
        return torch.stack(elbos, 1), torch.stack(sq_errs, 1)

    def forward(self, X):
        x, r0 = X[:, : self.n_features], X[:, self.n_features :]
        elbo, sq_err = self.elbo(x, self.generator)
        log_joint = self.log_weights + elbo
        if self.warmup:
            resp = r0
            loss = -(r0 * log_joint).sum(1)
        else:
            resp = torch.softmax(log_joint, 1)
            loss = -torch.logsumexp(log_joint, 1)
        if self.training and torch.is_grad_enabled():
            self.batch_statistics = (resp.detach(), sq_err.detach())
        return loss / self.n_features

    @torch.no_grad()
    def m_step(self, resp_sum, sqerr_sum, n_rows):
        """Closed-form update of the weights and (if learned) the noise levels."""
        weights = (resp_sum / n_rows).clamp_min(_MIN_WEIGHT)
        self.log_weights.copy_(torch.log(weights / weights.sum()))
        if self.learn_noise:
            strata = getattr(self, "chart_strata", None)
            if strata is not None:
                # The charts of a stratum share its noise level.
                n_strata = self.log_noise.shape[0]
                resp_sum = resp_sum.new_zeros(n_strata).index_add_(0, strata, resp_sum)
                sqerr_sum = sqerr_sum.new_zeros(n_strata).index_add_(0, strata, sqerr_sum)
            alive = resp_sum > 1e-3
            var = sqerr_sum / (self.n_features * resp_sum.clamp_min(1e-12))
            log_noise = 0.5 * torch.log(var.clamp_min(1e-30))
            floor = self.min_log_noise
            # Modules pickled before the per-stratum floors hold one float.
            log_noise = (
                torch.maximum(log_noise, floor) if torch.is_tensor(floor)
                else log_noise.clamp_min(floor)
            )
            self.log_noise.copy_(torch.where(alive, log_noise, self.log_noise))

    @torch.no_grad()
    def fit_latent_priors(self, x, resp, batch_rows=8192):
        """M-step of every component's latent prior, folded into its networks.

        With the encoders fixed, the Gaussian prior ``N(m, diag(s^2))`` that maximises the
        responsibility-weighted ELBO has the moments of the aggregate posterior: ``m`` the
        mean of the posterior means, ``s^2`` their variance plus the mean posterior
        variance. The affine map ``z = m + s u`` is then folded into the first layer of
        the decoder and the last layer of the encoder, so that the prior is ``N(0, I)``
        again and nothing else changes. A component trained under a standard normal prior
        leaves part of it unused (the aggregate posterior of the 20-dimensional cube in
        R^80 had a standard deviation of 0.87 per latent direction), and the decoder maps
        the unused tails off the stratum: its samples lay 6.1 times farther from the cube
        than the data, 3.3 after this step (held-out log-likelihood 171.36 -> 171.65).

        Parameters
        ----------
        x : tensor of shape (n, D)
            Standardised training data.
        resp : tensor of shape (n, K)
            Responsibilities of the components.
        batch_rows : int, default=8192
            Rows encoded at once.
        """
        for k, comp in enumerate(self.components):
            weights = resp[:, k]
            total = float(weights.sum())
            if comp.latent_dim == 0 or total < 1.0:
                continue
            d = comp.latent_dim
            first = torch.zeros(d, dtype=torch.float64, device=x.device)
            second = torch.zeros(d, dtype=torch.float64, device=x.device)
            for start in range(0, len(x), batch_rows):
                w = weights[start : start + batch_rows, None].double()
                mu, logvar = comp.encode(x[start : start + batch_rows])
                first += (w * mu.double()).sum(0)
                second += (w * (mu.double() ** 2 + logvar.double().exp())).sum(0)
            mean = first / total
            scale = (second / total - mean**2).clamp_min(1e-6).sqrt()
            mean, scale = mean.to(x.dtype), scale.to(x.dtype)
            decoder_in = comp.decoder[0]
            decoder_in.bias += decoder_in.weight @ mean
            decoder_in.weight *= scale[None, :]
            encoder_out = comp.encoder[-1]
            encoder_out.weight[:d] /= scale[:, None]
            encoder_out.bias[:d] = (encoder_out.bias[:d] - mean) / scale
            encoder_out.bias[d:] -= 2.0 * torch.log(scale)

    # --------------------------------------------------------------- inference

    def component_log_likelihoods(self, x, eps):
        """Importance-weighted (IWAE) bound of ``log p_k(x)`` for every component.

        The draws come from two proposals, half from each (the balance heuristic weighs
        every draw by their mixture): the encoder's ``q(z|x)``, and the Laplace
        approximation of the posterior around the encoder's mean after one Gauss-Newton
        step (:func:`_laplace_proposal`). The encoder alone leaves the bound loose where
        the posterior is much narrower than its errors, as in many latent dimensions at
        low noise: the 20-dimensional cube in R^80 with noise 0.01 scored 165.0 nats per
        held-out point with 32 encoder draws, about 168 with 1,024, and 171.4 with 32 of
        the mixture (``benchmarks/RESULTS.md``). Where the encoder is tight, the mixture costs at
        most ``log 2``.

        Parameters
        ----------
        x : tensor of shape (n, D)
        eps : list of tensors of shape (S, d_k)
            Standard normal draws, shared by all rows so that each row's value depends
            on that row only.

        Returns
        -------
        log_lik : tensor of shape (n, K), float64
        """
        out = []
        for k, comp in enumerate(self.components):
            log_sigma = self.component_log_noise(k)
            if comp.latent_dim == 0:
                sq = ((x - comp.center) ** 2).sum(-1)
                out.append(_gaussian_log_density(sq, log_sigma, self.n_features).double())
                continue
            e = eps[k]
            n_draws = e.shape[0]
            n_laplace = (n_draws + 1) // 2
            mu, logvar = comp.encode(x)
            std = torch.exp(0.5 * logvar)
            center, chol, log_det = _laplace_proposal(comp, x, mu, log_sigma)
            # Laplace draws z = center + L^-T e (covariance H^-1 = L^-T L^-1).
            laplace = torch.linalg.solve_triangular(
                chol.transpose(1, 2), e[:n_laplace].T.expand(len(x), -1, -1), upper=True
            ).permute(2, 0, 1)
            z = torch.cat(
                [center[None] + laplace, mu[None] + std[None] * e[n_laplace:, None, :]], 0
            )
            whitened = chol.transpose(1, 2)[None] @ (z - center[None])[..., None]
            log_q_laplace = -0.5 * (whitened[..., 0] ** 2).sum(-1) + log_det[None]
            log_q_encoder = (
                -0.5 * (((z - mu[None]) / std[None]) ** 2).sum(-1) - 0.5 * logvar.sum(-1)[None]
            )
            share = n_laplace / n_draws
            log_q = torch.logaddexp(
                log_q_laplace + math.log(share),
                log_q_encoder + (math.log1p(-share) if share < 1 else -math.inf),
            )
            sq = ((x[None] - comp.decode(z)) ** 2).sum(-1)
            log_px = _gaussian_log_density(sq, log_sigma, self.n_features)
            log_pz = -0.5 * (z**2).sum(-1)
            # Summed in float64: rounded to float32, a row's value could change by one unit
            # in the last place with the other rows of its batch.
            log_w = log_px.double() + log_pz.double() - log_q.double()
            out.append(torch.logsumexp(log_w, 0) - math.log(n_draws))
        return torch.stack(out, 1)

    def inference_floats(self, n_draws):
        """Floats one row holds in :meth:`component_log_likelihoods` with ``n_draws`` draws.

        The largest component's encoder activations and Laplace proposal (the decoder's
        Jacobian), and for every draw its latent code, decoder activations and
        reconstruction error (an upper bound: the components are evaluated one after the
        other). With ``n_draws=1``, a bound for
        :meth:`sample_component` too.
        """

        def activations(mlp):
            return sum(2 * layer.out_features for layer in mlp if isinstance(layer, nn.Linear))

        encoder = decoder = laplace = 0
        for comp in self.components:
            if comp.latent_dim:
                encoder = max(encoder, activations(comp.encoder) + 3 * comp.latent_dim)
                decoder = max(decoder, activations(comp.decoder) + 2 * comp.latent_dim)
                # The Laplace proposal: the decoder's Jacobian (its activations once per
                # latent direction) and the d x d precision and factor.
                laplace = max(laplace, comp.latent_dim * (decoder + 2 * self.n_features)
                              + 3 * comp.latent_dim**2)
        return (encoder + laplace + n_draws * (decoder + 3 * self.n_features)
                + 2 * self.n_components)

    @torch.no_grad()
    def sample_component(self, k, n_samples, generator):
        """Draw ``n_samples`` points from component ``k`` (decoder mean plus noise)."""
        comp = self.components[k]
        device = self.log_noise.device
        z = torch.randn((n_samples, comp.latent_dim), generator=generator, device=device)
        noise = torch.randn((n_samples, self.n_features), generator=generator, device=device)
        return comp.decode(z) + torch.exp(self.component_log_noise(k)) * noise


# ------------------------------------------------------------------ training callbacks


def _mixture_module(net):
    """The :class:`VAEMixtureModule` of ``net``, unwrapped from an accelerator's wrapper."""
    accelerator = getattr(net, "accelerator", None)
    module = net.module_
    return module if accelerator is None else accelerator.unwrap_model(module)


class HoldThenCosine:
    """Learning-rate factor of epoch ``epoch``: ``1`` at first, then a cosine decay to zero
    over the last ``anneal_fraction`` of ``n_epochs`` (a ``LambdaLR`` ``lr_lambda``).

    The constant phase is the one that matters for escaping a collapsed component: a
    component that starts as a blurred blob (its noise level near the data's spread, its
    latent code unused) leaves that plateau only after tens of epochs, and a rate that
    decays from the start can leave it there. The final decay stops the jitter of the
    decoders, which otherwise inflates the reconstruction error, hence the learned noise
    levels, by a different amount in every fit.

    Parameters
    ----------
    n_epochs : int
        Number of epochs of training.
    anneal_fraction : float
        Fraction of the epochs, at the end, over which the factor decays to zero.
    """

    def __init__(self, n_epochs, anneal_fraction):
        self.n_epochs = int(n_epochs)
        self.anneal_fraction = float(anneal_fraction)

    def __call__(self, epoch):
        n_anneal = max(1, int(round(self.anneal_fraction * self.n_epochs)))
        start = self.n_epochs - n_anneal
        if epoch < start:
            return 1.0
        return 0.5 * (1.0 + math.cos(math.pi * min(epoch - start, n_anneal) / n_anneal))


class MixtureWarmup(Callback):
    """Hold the responsibilities at the initial assignment during the first epochs.

    While ``module.warmup`` is true, the loss is the complete-data negative ELBO
    ``-sum_k r0_k (log pi_k + ELBO_k(x))`` with the initial responsibilities ``r0``; it is
    set at the beginning of every epoch from the epoch's number in ``net.history``.

    Parameters
    ----------
    n_epochs : int
        Number of warm-up epochs.
    """

    def __init__(self, n_epochs):
        self.n_epochs = n_epochs

    def on_epoch_begin(self, net, **kwargs):
        # skorch has already opened this epoch's row of the history.
        _mixture_module(net).warmup = len(net.history) <= self.n_epochs

    def on_train_end(self, net, **kwargs):
        _mixture_module(net).warmup = False


class MixtureEMStep(Callback):
    """Closed-form M-step of the mixture weights and noise levels after every epoch.

    After every training batch it adds the batch's responsibilities and responsibility-
    weighted squared errors (left by the module's ``forward`` in ``batch_statistics``) to
    the sums of the epoch; at the end of the epoch it runs
    :meth:`VAEMixtureModule.m_step` on them. Under a distributed accelerator every process
    updates from its own rows, and the estimator gives every process the main one's buffers
    at the end of training.
    """

    def _reset(self):
        self.rows_ = 0
        self.resp_sum_ = None
        self.sqerr_sum_ = None

    def on_train_begin(self, net, **kwargs):
        self._reset()

    def on_epoch_begin(self, net, **kwargs):
        self._reset()

    def on_batch_end(self, net, training=False, **kwargs):
        module = _mixture_module(net)
        statistics, module.batch_statistics = module.batch_statistics, None
        if not training or statistics is None:
            return
        resp, sq_err = statistics
        resp_sum = resp.sum(0)
        sqerr_sum = (resp * sq_err).sum(0)
        if self.resp_sum_ is None:
            self.resp_sum_, self.sqerr_sum_ = resp_sum, sqerr_sum
        else:
            self.resp_sum_ = self.resp_sum_ + resp_sum
            self.sqerr_sum_ = self.sqerr_sum_ + sqerr_sum
        self.rows_ += resp.shape[0]

    def on_epoch_end(self, net, **kwargs):
        if self.rows_:
            _mixture_module(net).m_step(self.resp_sum_, self.sqerr_sum_, self.rows_)
        self._reset()

    def on_train_end(self, net, **kwargs):
        # Nothing of the last epoch is kept (the net pickles without tensors here).
        self._reset()
        _mixture_module(net).batch_statistics = None

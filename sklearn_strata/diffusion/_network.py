"""The denoising network and its denoising-score-matching loss."""

import math

import torch
from torch import nn
from torch.func import jacrev, vmap


def denoiser_jacobian(network, y, level):
    """Jacobians ``grad D(y_i)`` of shape (n, D, D) of a network's denoiser at one level.

    The denoiser acts in principal coordinates: the MLP on the leading ``head_dim`` of them
    and a constant shrinkage on the rest, so its Jacobian is
    ``B [[J_head, 0], [0, shrink I]] B^T`` with ``B`` the principal basis. Only ``J_head``
    needs automatic differentiation: ``head_dim`` backward passes per point instead of
    ``D`` (3 instead of 10 on a curve, disk and ball in R^10).
    """
    levels = torch.full((1,), float(level), device=y.device, dtype=y.dtype)
    head_dim = network.head_dim
    head_basis = network.basis[:, :head_dim]

    def denoise_head_one(point):
        return network._denoise_head(point[None], levels)[0]

    head_jacobian = vmap(jacrev(denoise_head_one))(y @ head_basis)
    jacobian = head_basis @ head_jacobian @ head_basis.T
    if head_dim < network.n_features:
        tail_basis = network.basis[:, head_dim:]
        shrink = network.tail_variance / (network.tail_variance + float(level) ** 2)
        jacobian = jacobian + shrink * (tail_basis @ tail_basis.T)
    return jacobian


class _ResidualBlock(nn.Module):
    def __init__(self, width, embed_dim):
        super().__init__()
        self.inner = nn.Linear(width, width)
        self.time = nn.Linear(embed_dim, width)
        self.outer = nn.Linear(width, width)

    def forward(self, h, time_shift):
        """One residual step; ``time_shift`` is ``time(embedding) + inner.bias``."""
        inner = torch.addmm(time_shift, nn.functional.silu(h), self.inner.weight.T)
        return h + self.outer(nn.functional.silu(inner))


class DenoisingNetwork(nn.Module):
    """MLP with residual blocks that denoises ``x_t`` given the noise level.

    The network predicts the clean point ``x_0`` with EDM-style preconditioning: at
    smoothing level ``s`` the prediction is ``c_skip x + c_out F(c_in x, log s)``. With a
    small ``sigma_data`` the network mostly learns the projection onto the data, whose
    Jacobian (the tangent projector) is smooth; an epsilon- or score-network would instead
    have to represent the normal part at scale ``1 / s``, which an MLP learns poorly at
    the small noise levels where the local dimension is read.

    The epsilon prediction and the score follow from the denoiser by Tweedie's formula.

    With a ``basis`` the coordinates are first turned into principal ones: the MLP sees and
    denoises the leading ``head_dim`` of them, and the trailing ones are an isotropic
    Gaussian of variance ``tail_variance``, denoised exactly by the shrinkage
    ``tail_variance / (tail_variance + s**2)`` (see ``_subspace.principal_split``).
    """

    def __init__(self, n_features, schedule, *, width=256, n_blocks=3, n_frequencies=16,
                 sigma_data=0.5, t_min=1e-3, basis=None, head_dim=None, tail_variance=0.0):
        super().__init__()
        self.n_features = n_features
        self.head_dim = n_features if head_dim is None else int(head_dim)
        self.schedule = schedule
        self.sigma_data = sigma_data
        self.t_min = t_min
        self.tail_variance = float(tail_variance)
        basis = torch.eye(n_features) if basis is None else torch.as_tensor(basis)
        self.register_buffer("basis", basis.to(torch.float32))
        self.register_buffer("frequencies", math.pi * 2.0 ** torch.linspace(-3, 3, n_frequencies))
        embed_dim = 2 * n_frequencies
        self.embed = nn.Sequential(nn.Linear(embed_dim, embed_dim), nn.SiLU())
        self.inp = nn.Linear(self.head_dim, width)
        self.blocks = nn.ModuleList(_ResidualBlock(width, embed_dim) for _ in range(n_blocks))
        self.out = nn.Linear(width, self.head_dim)
        self.generator = None

    def _embedding(self, level):
        angles = torch.log(level)[:, None] * self.frequencies / 4.0
        return self.embed(torch.cat([torch.sin(angles), torch.cos(angles)], dim=1))

    def denoise(self, y, level):
        """Denoiser ``E[x_0 | y]`` at smoothing level ``level`` (``y = x_0 + level * z``).

        Parameters
        ----------
        y : tensor of shape (n, n_features)
            Blurred points, in the variance-exploding clock.
        level : tensor of shape (n,)
            Smoothing levels.
        """
        z = y @ self.basis
        head = self._denoise_head(z[:, : self.head_dim], level)
        if self.head_dim == self.n_features:
            return head @ self.basis.T
        shrink = self.tail_variance / (self.tail_variance + level**2)
        tail = z[:, self.head_dim :] * shrink[:, None]
        return torch.cat([head, tail], dim=1) @ self.basis.T

    def _denoise_head(self, z, level):
        """The MLP's denoiser of the leading principal coordinates."""
        var_data = self.sigma_data**2
        total = level**2 + var_data
        c_skip = (var_data / total)[:, None]
        c_out = (level * self.sigma_data / torch.sqrt(total))[:, None]
        c_in = (1.0 / torch.sqrt(level**2 + 1.0))[:, None]
        h = self.inp(c_in * z)
        for block, time_shift in zip(self.blocks, self._time_shifts(level), strict=True):
            h = block(h, time_shift)
        return c_skip * z + c_out * self.out(nn.functional.silu(h))

    def _time_shifts(self, level):
        """Every block's ``time(embedding) + inner.bias``, from one matrix product.

        One product for all blocks, with the inner bias folded in, instead of a product
        and an addition per block: about 10% of a training step on the CPU.
        """
        if not self.blocks:
            return ()
        weight = torch.cat([block.time.weight for block in self.blocks])
        bias = torch.cat([block.time.bias + block.inner.bias for block in self.blocks])
        shifts = nn.functional.linear(self._embedding(level), weight, bias)
        return shifts.chunk(len(self.blocks), dim=1)

    def floats_per_row(self):
        """Floats one row holds through :meth:`score`: every layer's output and the
        embedding of its level (all of them, as autograd keeps them for a backward pass).
        """
        width, n_blocks = self.inp.out_features, len(self.blocks)
        return (7 * n_blocks + 2) * width + 6 * self.head_dim + 6 * self.n_features + 8 * len(
            self.frequencies
        )

    def head(self):
        """The model of the leading principal coordinates alone (see :class:`HeadView`)."""
        return HeadView(self)

    def score(self, y, level):
        """Score ``grad log p_level(y)`` of the data blurred at ``level`` (Tweedie)."""
        return (self.denoise(y, level) - y) / (level**2)[:, None]

    def vp_score(self, x, t):
        """Score of the variance-preserving marginal ``p_t`` at ``x`` (for the ODE/SDE)."""
        alpha, _ = self.schedule.alpha_sigma(t)
        level = self.schedule.smoothing_level(t)
        return self.score(x / alpha[:, None], level) / alpha[:, None]

    def _draw_times(self, n, device):
        # Half the batch uniform in t (the likelihood needs every time), half log-uniform in
        # the smoothing level, where the local dimension is read.
        u = torch.rand(n, device=device, generator=self.generator)
        t_uniform = self.t_min + (1.0 - self.t_min) * u
        low = float(self.schedule.smoothing_level(torch.tensor(self.t_min)))
        high = float(self.schedule.smoothing_level(torch.tensor(1.0)))
        level = low * (high / low) ** u
        t_log = self.schedule.time_of_smoothing_level(level)
        half = torch.arange(n, device=device) % 2 == 0
        return torch.where(half, t_uniform, t_log)

    def forward(self, x0):
        """Per-sample denoising score-matching loss in epsilon form.

        Only the leading principal coordinates are learned: the tail's denoiser is exact.
        """
        z0 = x0 @ self.basis[:, : self.head_dim]
        t = self._draw_times(z0.shape[0], z0.device)
        eps = torch.randn(z0.shape, device=z0.device, generator=self.generator)
        alpha, sigma = self.schedule.alpha_sigma(t)
        level = sigma / alpha
        z = z0 + level[:, None] * eps
        # The matrix products may run in bfloat16 (``training_dtype``); the skip
        # connection and the loss stay in float32.
        dtype = getattr(self, "training_dtype", torch.float32)
        with torch.autocast(z.device.type, dtype=dtype, enabled=dtype != torch.float32):
            denoised = self._denoise_head(z, level)
        eps_hat = (z - denoised.float()) / level[:, None]
        return ((eps_hat - eps) ** 2).sum(dim=1)


class HeadView:
    """The network's model of the leading principal coordinates, on its own.

    The model factorises into this part and an exact isotropic Gaussian on the trailing
    coordinates, so log-densities and samples of the head need the probability-flow ODE
    or the reverse SDE in ``head_dim`` dimensions only, and the tail is handled in closed
    form. Exposes what the ODE and the sampler use: ``schedule``, ``denoise``,
    ``vp_score``.
    """

    def __init__(self, network):
        self.network = network
        self.schedule = network.schedule

    def denoise(self, z, level):
        return self.network._denoise_head(z, level)

    def vp_score(self, x, t):
        alpha, _ = self.schedule.alpha_sigma(t)
        level = self.schedule.smoothing_level(t)
        z = x / alpha[:, None]
        return (self.denoise(z, level) - z) / (level**2 * alpha)[:, None]


"""Probability-flow ODE: log-density by the instantaneous change of variables."""

import math

import torch
from torch.func import jacrev, vmap


def _time_grid(t_min, n_steps, device):
    # Quadratic spacing puts more steps at small t, where the drift changes fastest.
    u = torch.linspace(0.0, 1.0, n_steps + 1, device=device, dtype=torch.float64)
    return t_min + (1.0 - t_min) * u**2


def _drift_and_divergence(model, x, t, probes):
    """VP probability-flow drift ``-beta/2 (x + s)`` and its divergence at one time."""
    schedule = model.schedule
    t_vec = torch.full((x.shape[0],), float(t), device=x.device, dtype=x.dtype)
    beta = float(schedule.beta(torch.tensor(float(t))))

    def drift(points):
        return -0.5 * beta * (points + model.vp_score(points, t_vec[: points.shape[0]]))

    if probes is None:
        def drift_one(point):
            return drift(point[None])[0]

        jac = vmap(jacrev(drift_one))(x)
        return drift(x).detach(), torch.diagonal(jac, dim1=1, dim2=2).sum(dim=1)
    # Hutchinson: E[z^T (df/dx) z] with fixed Rademacher probes.
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        value = drift(x)
        (vjp,) = torch.autograd.grad((value * probes).sum(), x)
    probes = probes.expand_as(vjp)
    return value.detach(), (vjp * probes).sum(dim=1)


def log_density(model, x, *, t_min, n_steps, probes=None):
    """``log p_{t_min}(x)`` under the model, integrating the ODE from ``t_min`` to 1 (RK4).

    Parameters
    ----------
    model : DenoisingNetwork
        Trained network.
    x : tensor of shape (n, D)
        Points in the variance-preserving clock at ``t_min``.
    t_min : float
        Start time of the integration.
    n_steps : int
        Number of RK4 steps.
    probes : tensor of shape (n, D) or None
        Rademacher probes for a Hutchinson divergence; ``None`` for the exact divergence.

    Returns
    -------
    log_p : tensor of shape (n,)
    """
    grid = _time_grid(t_min, n_steps, x.device)
    log_det = torch.zeros(x.shape[0], device=x.device, dtype=x.dtype)
    for k in range(n_steps):
        t0, t1 = float(grid[k]), float(grid[k + 1])
        h = t1 - t0
        f1, d1 = _drift_and_divergence(model, x, t0, probes)
        f2, d2 = _drift_and_divergence(model, x + 0.5 * h * f1, t0 + 0.5 * h, probes)
        f3, d3 = _drift_and_divergence(model, x + 0.5 * h * f2, t0 + 0.5 * h, probes)
        f4, d4 = _drift_and_divergence(model, x + h * f3, t1, probes)
        x = x + h / 6.0 * (f1 + 2 * f2 + 2 * f3 + f4)
        log_det = log_det + h / 6.0 * (d1 + 2 * d2 + 2 * d3 + d4)
    n_features = x.shape[1]
    log_prior = -0.5 * (x**2).sum(dim=1) - 0.5 * n_features * math.log(2 * math.pi)
    return log_prior + log_det

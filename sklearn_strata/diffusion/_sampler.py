"""Reverse-time SDE sampler (Euler-Maruyama) with a final denoising step."""

import torch


def sample_reverse_sde(model, n_samples, n_features, *, t_min, n_steps, generator, device):
    """Draw ``n_samples`` points by integrating the reverse VP SDE from ``t = 1`` to ``t_min``.

    Returns the denoised points ``E[x_0 | x_{t_min}]`` in standardised units.
    """
    schedule = model.schedule
    x = torch.randn((n_samples, n_features), generator=generator, device=device)
    # Quadratic in t: the strata's fine structure forms at the smallest levels, where a
    # uniform grid would take a single step from t = 1 / n_steps down to t_min.
    u = torch.linspace(1.0, 0.0, n_steps + 1, device=device)
    times = t_min + (1.0 - t_min) * u**2
    for k in range(n_steps):
        t = times[k].expand(n_samples)
        dt = float(times[k] - times[k + 1])
        beta = schedule.beta(t)[:, None]
        drift = -0.5 * beta * x - beta * model.vp_score(x, t)
        noise = torch.randn(x.shape, generator=generator, device=device)
        x = x - drift * dt + torch.sqrt(beta * dt) * noise
    t = times[-1].expand(n_samples)
    alpha, _ = schedule.alpha_sigma(t)
    return model.denoise(x / alpha[:, None], schedule.smoothing_level(t))

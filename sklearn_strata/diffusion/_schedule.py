"""The variance-preserving SDE: noise schedule and the conversions between its clocks.

``x_t = alpha_t x_0 + sigma_t eps`` with ``beta(t)`` linear on ``[0, 1]``. A point ``x_t``
divided by ``alpha_t`` is the data blurred by Gaussian noise of standard deviation
``sigma_t / alpha_t``: that *smoothing level* is the clock in which the score field and the
local dimension are read, so every public noise level is one.
"""

import math

import torch


class VPSchedule:
    """Linear-beta variance-preserving schedule.

    Parameters
    ----------
    beta_min, beta_max : float
        ``beta(0)`` and ``beta(1)``.
    """

    def __init__(self, beta_min=0.1, beta_max=20.0):
        self.beta_min = float(beta_min)
        self.beta_max = float(beta_max)

    def beta(self, t):
        return self.beta_min + t * (self.beta_max - self.beta_min)

    def integrated_beta(self, t):
        return self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t**2

    def alpha_sigma(self, t):
        """Return ``(alpha_t, sigma_t)`` for a tensor of times."""
        big_b = self.integrated_beta(t)
        return torch.exp(-0.5 * big_b), torch.sqrt(-torch.expm1(-big_b))

    def smoothing_level(self, t):
        """Noise level ``sigma_t / alpha_t`` of the blurred data seen at time ``t``."""
        return torch.sqrt(torch.expm1(self.integrated_beta(t)))

    def time_of_smoothing_level(self, level):
        """Invert :meth:`smoothing_level` (float or tensor)."""
        if isinstance(level, torch.Tensor):
            big_b = torch.log1p(level**2)
            sqrt = torch.sqrt
        else:
            big_b = math.log1p(level**2)
            sqrt = math.sqrt
        slope = self.beta_max - self.beta_min
        return (-self.beta_min + sqrt(self.beta_min**2 + 2.0 * slope * big_b)) / slope

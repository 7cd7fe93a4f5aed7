"""Test settings shared by the whole suite."""

import os

import pytest
import torch
from hypothesis import HealthCheck, settings

# One thread per test process: torch's intra-op threads only fight over CI's two cores
# (pytest-xdist already runs one process per core), and check_estimator runs ~8x faster.
torch.set_num_threads(1)

# Torch fits take longer than hypothesis' default deadline; keep the examples few.
settings.register_profile(
    "torch",
    deadline=None,
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", 8)),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
settings.load_profile("torch")


@pytest.fixture(autouse=True)
def _guard_torch_global_rng():
    """Fail any test that changes torch's global random state.

    The library seeds everything through ``torch.Generator`` objects and must never touch
    the global torch seed. (numpy's global state is checked where the library could touch
    it, in the dataset tests: scikit-learn's own checks draw from it.)
    """
    torch_state = torch.random.get_rng_state()
    yield
    assert torch.equal(torch.random.get_rng_state(), torch_state), "torch's global RNG changed"

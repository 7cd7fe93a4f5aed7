"""Seeding of the global random generators that geomstats samples from."""

from contextlib import contextmanager

import numpy as np
from sklearn.utils import check_random_state as _sklearn_check_random_state

from ._geomstats_compat import import_geomstats


def check_random_state(random_state):
    """Turn ``random_state`` into a ``RandomState`` without touching numpy's global one.

    Unlike :func:`sklearn.utils.check_random_state`, None gives a fresh generator seeded
    from the operating system's entropy instead of numpy's global generator, so that the
    data set builders never change the global random state.

    Parameters
    ----------
    random_state : int, RandomState instance or None
        Seed, generator, or None for fresh entropy.

    Returns
    -------
    rng : RandomState
        The generator.
    """
    if random_state is None:
        return np.random.RandomState()
    return _sklearn_check_random_state(random_state)


@contextmanager
def seeded_global_rng(random_state):
    """Seed the global generator geomstats draws from, and restore it on exit.

    geomstats samplers take no generator argument: they draw from numpy's global
    generator (or torch's, with the pytorch backend). Inside this context that generator is
    seeded from ``random_state``; on exit its previous state is restored, so a call leaves the
    caller's global random state untouched.

    Parameters
    ----------
    random_state : int, RandomState instance or None
        Source of the seed. A ``RandomState`` is advanced by one draw.

    Yields
    ------
    rng : RandomState
        The generator made from ``random_state``.
    """
    rng = check_random_state(random_state)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    # Touching the legacy global generator is the point of this context.
    numpy_state = np.random.get_state()  # noqa: NPY002
    torch = None
    if import_geomstats("geomstats._backend").get_backend_name() == "pytorch":
        import torch

        torch_state = torch.random.get_rng_state()
    try:
        np.random.seed(seed)  # noqa: NPY002
        if torch is not None:
            torch.manual_seed(seed)
        yield rng
    finally:
        np.random.set_state(numpy_state)  # noqa: NPY002
        if torch is not None:
            torch.random.set_rng_state(torch_state)

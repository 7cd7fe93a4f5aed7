"""Bridges between scikit-learn conventions and torch: devices, seeds, batching."""

import numpy as np
import torch
from sklearn import get_config
from sklearn.utils import check_random_state

_MAX_SEED = np.iinfo(np.int32).max


def native_bfloat16():
    """Whether this CPU multiplies bfloat16 matrices in hardware (AMX or AVX512_BF16).

    There a bfloat16 matrix product is 2-3 times faster than a float32 one; elsewhere
    torch emulates bfloat16 and it is slower.
    """
    return any(
        getattr(torch.cpu, name, lambda: False)()
        for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    )


def training_dtype(precision, device):
    """The dtype of the matrix products of a training step: float32 or bfloat16.

    Parameters
    ----------
    precision : {"auto", "float32", "bfloat16"}
        ``"auto"`` takes bfloat16 on a CPU that multiplies it natively
        (:func:`native_bfloat16`): a training step of the default diffusion model takes
        about half the time of float32 on one thread, with AMX units as with
        AVX512_BF16 alone (28.0 against 52.8 ms on an AMD Zen 4 EPYC), with the same
        accuracy on every preset (``benchmarks/RESULTS.md``). Float32 everywhere else,
        CUDA included (not yet measured there).
    device : torch.device
        The device training runs on.

    Returns
    -------
    dtype : torch.dtype
    """
    if precision == "bfloat16":
        return torch.bfloat16
    if precision == "auto" and device.type == "cpu" and native_bfloat16():
        return torch.bfloat16
    return torch.float32


# glibc serves allocations above its mmap threshold (128 KiB at start) with a fresh mmap,
# and raises the threshold to the size of each such block freed, up to 32 MiB.
_ALLOCATOR_WARMUP_BYTES = 31 * 2**20
_allocator_warmed = False


def warm_cpu_allocator():
    """Free one 31 MiB block once per process, so later CPU tensors reuse heap memory.

    A training step allocates and frees activations of about a megabyte each. Until glibc
    has freed one block larger than those, it maps and unmaps fresh pages for every one
    of them: the first fit in a process trained at 31 ms per step instead of 22 ms
    (5,000 points in R^10, 2 threads), for the whole fit. Freeing one large block is what
    any later fit would have done anyway; elsewhere it costs one allocation.
    """
    global _allocator_warmed
    if not _allocator_warmed:
        del_block = torch.empty(_ALLOCATOR_WARMUP_BYTES, dtype=torch.uint8)
        del del_block
        _allocator_warmed = True


def resolve_device(device):
    """Turn a ``device`` parameter into a :class:`torch.device`.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"} or str
        ``"auto"`` takes CUDA when it is available and the CPU otherwise.
        ``"cuda"`` (or ``"cuda:N"``) requires a CUDA device.

    Returns
    -------
    device : torch.device
        The device to compute on.

    Raises
    ------
    ValueError
        If CUDA is requested but not available.
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={str(device)!r} was requested but CUDA is not available on this "
            "machine; use device='cpu' or device='auto'."
        )
    return device


def draw_seed(random_state):
    """Draw an integer seed from anything :func:`~sklearn.utils.check_random_state` takes.

    Parameters
    ----------
    random_state : int, RandomState instance or None
        Source of randomness.

    Returns
    -------
    seed : int
        A seed in ``[0, 2**31 - 1)``.
    """
    return int(check_random_state(random_state).randint(_MAX_SEED))


def make_generator(seed, device="cpu"):
    """Return a :class:`torch.Generator` on ``device`` seeded with ``seed``.

    Parameters
    ----------
    seed : int
        Seed of the generator.
    device : torch.device or str, default="cpu"
        Device of the generator (CUDA kernels need a CUDA generator).

    Returns
    -------
    generator : torch.Generator
        A freshly seeded generator; the global torch seed is never touched.
    """
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator


# Inference batches on a CUDA device hold this many times the rows of a CPU batch: with
# CPU-sized batches a GPU waits on kernel launches (benchmarks/bench_gpu.py scans it).
CUDA_BATCH_FACTOR = 16


def iter_batches(n_rows, batch_size, device=None):
    """Yield slices that cover ``range(n_rows)`` in batches of ``batch_size`` rows.

    Parameters
    ----------
    n_rows : int
        Number of rows to cover.
    batch_size : int
        Rows per batch on the CPU (the last batch may be smaller).
    device : torch.device, str or None, default=None
        Device the batches are computed on; on a CUDA device a batch holds
        ``CUDA_BATCH_FACTOR`` times ``batch_size`` rows.

    Yields
    ------
    batch : slice
        Slice of the rows of one batch.
    """
    if device is not None and torch.device(device).type == "cuda":
        batch_size *= CUDA_BATCH_FACTOR
    for start in range(0, n_rows, batch_size):
        yield slice(start, min(start + batch_size, n_rows))


# Fewest rows of an inference batch, however small ``working_memory`` is.
MIN_BATCH_ROWS = 16
# MiB of temporary arrays a CPU batch holds at the most: larger batches leave the cache
# and run slower (1.5 to 3 times slower at scikit-learn's default working_memory of
# 1024 MiB, on one thread), so working_memory only lowers this.
EFFICIENT_BATCH_MIB = 32


def batch_rows(row_bytes):
    """Rows per inference batch on the CPU, from scikit-learn's ``working_memory``.

    As :func:`sklearn.metrics.pairwise_distances_chunked` does, the batch is sized so that
    the temporary arrays of one batch take at most ``working_memory`` MiB (see
    :func:`sklearn.set_config`), and at most ``EFFICIENT_BATCH_MIB``; but never fewer
    than ``MIN_BATCH_ROWS`` rows.

    Parameters
    ----------
    row_bytes : int
        Bytes the temporary arrays of one row take.

    Returns
    -------
    n_rows : int
        Rows per batch (:func:`iter_batches` multiplies them on a CUDA device).
    """
    budget = min(get_config()["working_memory"], EFFICIENT_BATCH_MIB) * 2**20
    return max(int(budget // max(row_bytes, 1)), MIN_BATCH_ROWS)


def fill_in_batches(out, compute, *, row_bytes, device=None):
    """Fill ``out`` batch by batch: ``out[rows] = compute(rows)``.

    The one inference loop of the package: the batches hold :func:`batch_rows` rows
    (``CUDA_BATCH_FACTOR`` times more on a CUDA device), so the memory of an inference
    call is bounded by ``working_memory`` whatever the number of rows. Every row's output
    must depend on that row alone (random draws excepted), so that it does not depend on
    the batching.

    Parameters
    ----------
    out : ndarray of shape (n_rows, ...)
        Output, filled in place.
    compute : callable
        ``compute(rows)`` returns the output of the rows of the slice ``rows``, as an
        array or a tensor (copied to the CPU).
    row_bytes : int
        Bytes the temporary arrays of one row take.
    device : torch.device, str or None, default=None
        Device ``compute`` runs on.

    Returns
    -------
    out : ndarray
        ``out``, filled.
    """
    for rows in iter_batches(len(out), batch_rows(row_bytes), device):
        result = compute(rows)
        if isinstance(result, torch.Tensor):
            result = result.detach().cpu().numpy()
        out[rows] = result
    return out


def to_tensor(X, device, dtype=torch.float32):
    """Copy a numpy array into a new tensor on ``device`` (the input is never aliased)."""
    return torch.tensor(np.asarray(X), dtype=dtype, device=device)


class seeded_construction:
    """Context manager under which torch modules are built from ``seed`` alone.

    ``torch.nn`` layers initialise their weights from torch's global generator. Inside
    this context that generator is forked, seeded and restored on exit, so building a
    model is reproducible and leaves the caller's global torch state untouched.

    Parameters
    ----------
    seed : int
        Seed of the weight initialisation.
    """

    def __init__(self, seed):
        self.seed = int(seed)

    def __enter__(self):
        self._fork = torch.random.fork_rng(devices=[])
        self._fork.__enter__()
        torch.manual_seed(self.seed)
        return self

    def __exit__(self, *exc):
        return self._fork.__exit__(*exc)


def spawn_seeds(random_state, n_streams):
    """Independent integer seeds of ``n_streams`` named random streams.

    One seed is drawn from ``random_state`` and split with
    :class:`numpy.random.SeedSequence`, so the streams never collide (as offsets such as
    ``seed + 1`` of two seeds can).

    Parameters
    ----------
    random_state : int, RandomState instance or None
        Source of randomness.
    n_streams : int
        Number of seeds.

    Returns
    -------
    seeds : list of int
        Seeds in ``[0, 2**31 - 1)``.
    """
    children = np.random.SeedSequence(draw_seed(random_state)).spawn(n_streams)
    return [int(child.generate_state(1)[0]) % _MAX_SEED for child in children]

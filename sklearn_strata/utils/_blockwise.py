"""A fitted estimator applied to a dask array, block of rows by block of rows."""

import uuid
import warnings
from functools import partial

import numpy as np


def _apply(block, estimator, *, method, args, kwargs):
    return getattr(estimator, method)(block, *args, **kwargs)


def apply_blockwise(estimator, method, X, *args, **kwargs):
    """Apply a fitted estimator's per-row method to a dask array, one block of rows at a time.

    The method runs on every block of rows of ``X`` wherever dask computes it: in threads,
    in processes, or on the workers of a :class:`dask.distributed.Client`. Every output row
    of ``transform``, ``predict``, ``predict_proba``, ``score_samples``, ``score_field``,
    ``tangent_spaces`` ... depends on its input row alone, so the result is the local call's
    (labels and dimensions identical; float outputs within a few float32 ulps, which the
    networks round differently in other batch shapes). The estimator enters the task graph
    once (a :func:`dask.delayed` object), not once per block.

    Dask is an optional dependency of ``sklearn_strata`` (``pip install
    "sklearn_strata[dask]"``); it is imported only here, when called.

    Parameters
    ----------
    estimator : fitted estimator
        Any fitted estimator whose ``method`` maps ``n`` rows to ``n`` output rows.
    method : str
        Name of the method, e.g. ``"transform"``, ``"score_samples"``, ``"predict"``.
    X : dask array or array-like of shape (n_samples, n_features)
        Input rows. Column chunks are merged first (every block holds whole rows); a numpy
        array is wrapped by :func:`dask.array.asarray` with dask's default chunks.
    *args, **kwargs
        Further arguments of the method (e.g. the noise level of ``score_field``).

    Returns
    -------
    result : dask array of shape (n_samples, ...)
        Lazy; its row chunks are those of ``X``. Its trailing shape and dtype are those of
        the method's output on one row of zeros, computed here once (warnings silenced).

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from sklearn_strata import StratifiedVAEMixture
    >>> from sklearn_strata.utils import apply_blockwise
    >>> X = np.random.RandomState(0).randn(200, 2)
    >>> vae = StratifiedVAEMixture(latent_dims=[1], hidden_dims=(8,), max_epochs=3,
    ...                            random_state=0).fit(X)
    >>> X_big = da.from_array(X, chunks=(50, 2))
    >>> log_density = apply_blockwise(vae, "score_samples", X_big)
    >>> log_density
    dask.array<_apply, shape=(200,), dtype=float64, chunksize=(50,), chunktype=numpy.ndarray>
    >>> np.allclose(log_density.compute(), vae.score_samples(X))
    True
    """
    import dask
    import dask.array as da

    X = da.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-dimensional, got shape {X.shape}.")
    if X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    call = getattr(estimator, method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = np.asarray(call(np.zeros((1, X.shape[1]), dtype=X.dtype), *args, **kwargs))
    if probe.ndim == 0 or probe.shape[0] != 1:
        raise ValueError(
            f"{type(estimator).__name__}.{method} does not return one output row per input "
            f"row (shape {probe.shape} for one row)."
        )
    chunks = (X.chunks[0],) + tuple((size,) for size in probe.shape[1:])
    layout = {}
    if probe.ndim == 1:
        layout["drop_axis"] = 1
    elif probe.ndim > 2:
        layout["new_axis"] = list(range(2, probe.ndim))
    # One graph node holds the estimator; pure=False spares hashing its weights.
    fitted = dask.delayed(estimator, pure=False, name=f"estimator-{uuid.uuid4().hex}")
    return da.map_blocks(
        partial(_apply, method=method, args=args, kwargs=kwargs),
        X,
        fitted,
        chunks=chunks,
        dtype=probe.dtype,
        meta=np.empty((0,) * probe.ndim, dtype=probe.dtype),
        **layout,
    )

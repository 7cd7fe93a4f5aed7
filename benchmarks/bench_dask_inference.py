"""Inference throughput on a dask array: one local call against a 2-worker LocalCluster.

Run from the repository root (needs ``dask[distributed]``)::

    python benchmarks/bench_dask_inference.py

The default ``ScoreDimensionEstimator`` of ``bench_dimension.py`` on the
``line_disk_ball_D10_n0.01`` case (its pickle under ``benchmarks/.cache/`` when there is one,
else a fresh fit on 3000 points), its score model, a ``StratumCounter`` on it and a
``StratifiedVAEMixture(stratum_counter=counter, max_epochs=20)``. Each per-row method runs
on new rows of the same preset, once as a plain call in this process (torch on one thread)
and once through :func:`sklearn_strata.utils.apply_blockwise` on a dask array of 8 row
blocks, computed on a ``LocalCluster`` of two worker processes with one thread each (after
a warm-up; the time includes shipping the estimator). Prints rows per second; writes
nothing.
"""

import logging
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

from benchmarks._cases import CASES, cache_path, load_pickle, make_case, markdown_table
from sklearn_strata import ScoreDimensionEstimator, StratifiedVAEMixture, StratumCounter
from sklearn_strata.utils import apply_blockwise

CASE = "line_disk_ball_D10_n0.01"
N_BLOCKS = 8
# (label, model, method, rows)
METHODS = [
    ("ScoreDimensionEstimator.transform", "dimension", "transform", 16_000),
    ("ScoreDiffusionDensity.score_samples", "diffusion", "score_samples", 400),
    ("StratumCounter.predict", "counter", "predict", 200_000),
    ("StratifiedVAEMixture.score_samples", "vae", "score_samples", 16_000),
    ("StratifiedVAEMixture.predict", "vae", "predict", 16_000),
]


def fitted_models():
    case = next(case for case in CASES if case[0] == CASE)
    X, _, _, space = make_case(case)
    path = cache_path(CASE)
    if path.exists():
        dimension = load_pickle(path)[0]
    else:
        dimension = ScoreDimensionEstimator(random_state=0).fit(X)
    counter = StratumCounter(dimension).fit(X)
    vae = StratifiedVAEMixture(stratum_counter=counter, max_epochs=20, random_state=0).fit(X)
    return {
        "dimension": dimension,
        "diffusion": dimension.score_model_,
        "counter": counter,
        "vae": vae,
    }, case, space


def main():
    import dask.array as da
    from dask.distributed import Client, LocalCluster

    torch.set_num_threads(1)
    models, case, space = fitted_models()
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    client.run(torch.set_num_threads, 1)
    rows = []
    try:
        for label, name, method, n_rows in METHODS:
            X_new = space.sample(n_rows, noise=case[3], random_state=1)[0]
            model = models[name]
            start = time.perf_counter()
            local = getattr(model, method)(X_new)
            t_local = time.perf_counter() - start
            X_dask = da.from_array(X_new, chunks=(-(-n_rows // N_BLOCKS), -1))
            client.compute(apply_blockwise(model, method, X_dask[:64])).result()  # warm-up
            start = time.perf_counter()
            remote = client.compute(apply_blockwise(model, method, X_dask)).result()
            t_remote = time.perf_counter() - start
            assert remote.shape == local.shape
            row = [label, f"{n_rows:,}", f"{n_rows / t_local:,.0f}", f"{n_rows / t_remote:,.0f}",
                   f"{t_local / t_remote:.2f}"]
            print(" | ".join(row), flush=True)
            rows.append(row)
    finally:
        client.close()
        cluster.close()
    header = ["method", "rows", "local (rows/s)", "2-worker LocalCluster (rows/s)", "speed-up"]
    print("\n" + markdown_table(header, rows))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()

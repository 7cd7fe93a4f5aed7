"""Strata benchmark: StratumCounter on score-based dimensions vs the lPCA baseline.

Run from the repository root (after ``bench_dimension.py``, whose fitted estimators it reuses
from ``benchmarks/.cache/``; a missing one is fitted here)::

    python benchmarks/bench_strata.py [case ...]

Per case: number of strata and their dimensions against the truth (exact count, exact
multiset), adjusted Rand index of ``labels_`` against the true strata on the labelled points
(``labels_ != -1``), and the fraction of unlabelled points.
"""

import datetime
import sys
import time
import warnings
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch
from sklearn.metrics import adjusted_rand_score

from benchmarks._cases import (
    MACHINE_NOTE,
    cache_path,
    dump_pickle,
    load_pickle,
    make_case,
    markdown_table,
    read_again,
    select_cases,
    write_section,
)
from benchmarks._skdim_baseline import skdim_stratum_counter
from sklearn_strata.dimension import ScoreDimensionEstimator
from sklearn_strata.strata import StratumCounter

HEADING = "## Strata (bench_strata.py)"


def score_estimator(name, X):
    path = cache_path(name)
    if path.exists():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return read_again(load_pickle(path)[0], X), True
    start = time.perf_counter()
    est = ScoreDimensionEstimator(random_state=0).fit(X)
    dump_pickle((est, time.perf_counter() - start), path)
    return est, False


def evaluate(counter, X, y, true_dims, elapsed):
    labels = np.asarray(counter.labels_)
    mask = labels != -1
    found = sorted(int(d) for d in counter.strata_dims_)
    ari = adjusted_rand_score(y[mask], labels[mask]) if mask.any() else float("nan")
    return {
        "n_strata": int(counter.n_strata_),
        "dims": found,
        "exact_count": int(counter.n_strata_) == len(true_dims),
        "exact_multiset": found == true_dims,
        "ari": float(ari),
        "unlabelled": float(1.0 - mask.mean()),
        "time": elapsed,
    }


def bench_case(case):
    name = case[0]
    X, y, _, space = make_case(case)
    true_dims = sorted(int(d) for d in space.strata_dims)
    print(f"\n### {name}: n={X.shape[0]}, D={X.shape[1]}, true strata dims {true_dims}", flush=True)
    rows = {}
    est, cached = score_estimator(name, X)
    contenders = [
        ("ours (score dims)", lambda: StratumCounter(dimension_estimator=est)),
        ("lPCA baseline", lambda: skdim_stratum_counter()),
    ]
    for label, make in contenders:
        start = time.perf_counter()
        try:
            counter = make().fit(X)
            rows[label] = evaluate(counter, X, y, true_dims, time.perf_counter() - start)
        except Exception as exc:  # noqa: BLE001 - a failure is a result
            rows[label] = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"  {label}: {rows[label]}", flush=True)
    return {
        "true_dims": true_dims,
        "n": int(X.shape[0]),
        "D": int(X.shape[1]),
        "cached": cached,
        "rows": rows,
    }


def render(results):
    header = [
        "case",
        "true dims",
        "counter",
        "n_strata_",
        "strata_dims_",
        "exact count",
        "exact multiset",
        "ARI (labelled)",
        "unlabelled",
        "time (s)",
    ]
    rows = []
    for name, res in results.items():
        for label, r in res["rows"].items():
            if "error" in r:
                rows.append(
                    [
                        name,
                        res["true_dims"],
                        label,
                        "error",
                        r["error"][:60],
                        "-",
                        "-",
                        "-",
                        "-",
                        "-",
                    ]
                )
                continue
            rows.append(
                [
                    name,
                    res["true_dims"],
                    label,
                    r["n_strata"],
                    r["dims"],
                    "yes" if r["exact_count"] else "no",
                    "yes" if r["exact_multiset"] else "no",
                    f"{r['ari']:.3f}",
                    f"{r['unlabelled']:.3f}",
                    f"{r['time']:.1f}",
                ]
            )
    n_values = sorted({res["n"] for res in results.values()})
    intro = (
        f"Date {datetime.date.today().isoformat()}; {MACHINE_NOTE}; n_samples {n_values}; "
        "random_state 0. `ours` passes the fitted ScoreDimensionEstimator of "
        "bench_dimension.py (pickled in benchmarks/.cache/) to StratumCounter, so its time "
        "excludes the score-model fit; the baseline is scikit-dimension's pointwise lPCA "
        "(n_neighbors 20) in the same graph procedure (benchmarks/_skdim_baseline.py). ARI is "
        "against the true stratum labels on the points with labels_ != -1."
    )
    return intro + "\n\n" + markdown_table(header, rows) + "\n"


def main(argv=None):
    torch.set_num_threads(1)
    names = sys.argv[1:] if argv is None else argv
    results = {}
    for case in select_cases(names):
        results[case[0]] = bench_case(case)
        write_section(HEADING, render(results))
    text = render(results)
    print("\n" + text)
    write_section(HEADING, text)
    return results


if __name__ == "__main__":
    main()

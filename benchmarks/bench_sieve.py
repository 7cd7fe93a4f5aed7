"""Sieve maximum likelihood: does the grid search over ``latent_dims`` pick the true ones?

Run from the repository root::

    python benchmarks/bench_sieve.py [case ...]
    python benchmarks/bench_sieve.py --readme

Per case (presets at noise 0.01, 2,000 points, ``random_state=0``): a ``GridSearchCV`` of
the default ``StratifiedVAEMixture(random_state=0)`` over three candidates around the true
latent dimensions (the stratum of the largest dimension one below, at and one above its
dimension, the others at theirs: the pattern of the README's example), 3 folds,
``refit=one_standard_error_refit``. Reported: the held-out mean log-likelihood of every
candidate (mean and standard deviation over the folds), the candidate the one-standard-
error rule picks and the one of the highest mean, and whether the rule picked the truth.
Results are printed and written to the "Sieve selection" section of RESULTS.md.

``--readme`` runs the README's own search instead, exactly as written there (3,000 points
of the lollipop in R^10 at noise 0.01, the default estimator, 5 folds, candidates
``[1, 1, 0]``, ``[2, 1, 0]``, ``[3, 1, 0]``; about 12 minutes on one thread), and writes the
"README sieve example" section.
"""

import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch
from sklearn.model_selection import GridSearchCV

from benchmarks._cases import MACHINE_NOTE, markdown_table, write_section
from sklearn_strata import StratifiedVAEMixture
from sklearn_strata.datasets import (
    make_crossing_planes,
    make_line_disk_ball,
    make_lollipop,
    make_sphere_line,
    make_string_in_doughnut,
)
from sklearn_strata.mixture import one_standard_error_refit

HEADING = "## Sieve selection (bench_sieve.py)"
N_SAMPLES = 2000
NOISE = 0.01
CV = 3

# (name, maker, ambient_dim)
CASES = [
    ("lollipop_D10", make_lollipop, 10),
    ("sphere_line_D10", make_sphere_line, 10),
    ("line_disk_ball_D10", make_line_disk_ball, 10),
    ("crossing_planes_D10", make_crossing_planes, 10),
    ("string_in_doughnut_D30", make_string_in_doughnut, 30),
]


def candidates_around(true_dims):
    """The truth, and the stratum of the largest dimension one below and one above it."""
    true_dims = [int(d) for d in true_dims]
    top = int(np.argmax(true_dims))
    grid = []
    for step in (-1, 0, 1):
        dims = list(true_dims)
        dims[top] += step
        if dims[top] >= 0:
            grid.append(dims)
    return grid


def bench_case(case):
    name, maker, ambient_dim = case
    X, _, space = maker(N_SAMPLES, ambient_dim=ambient_dim, noise=NOISE, random_state=0,
                        return_space=True)
    true_dims = [int(d) for d in space.strata_dims]
    grid = candidates_around(true_dims)
    start = time.perf_counter()
    search = GridSearchCV(StratifiedVAEMixture(random_state=0), {"latent_dims": grid},
                          cv=CV, refit=one_standard_error_refit).fit(X)
    elapsed = time.perf_counter() - start
    results = search.cv_results_
    means, stds = results["mean_test_score"], results["std_test_score"]
    chosen = list(search.best_params_["latent_dims"])
    highest = list(results["params"][int(np.argmax(means))]["latent_dims"])
    scores = ", ".join(
        f"{dims}: {m:.3f} ± {s:.3f}" for dims, m, s in zip(grid, means, stds, strict=True)
    )
    row = [name, str(true_dims), scores, str(chosen), str(highest),
           "yes" if chosen == true_dims else "no", f"{elapsed:.0f}"]
    print(" | ".join(row), flush=True)
    return row


README_HEADING = "## README sieve example (bench_sieve.py --readme)"
README_GRID = [[1, 1, 0], [2, 1, 0], [3, 1, 0]]


def bench_readme():
    X, _ = make_lollipop(3000, ambient_dim=10, noise=0.01, random_state=0)
    start = time.perf_counter()
    search = GridSearchCV(StratifiedVAEMixture(random_state=0), {"latent_dims": README_GRID},
                          refit=one_standard_error_refit).fit(X)
    elapsed = time.perf_counter() - start
    results = search.cv_results_
    rows = [
        [str(dims), f"{m:.3f}", f"{s:.3f}"]
        for dims, m, s in zip(
            README_GRID, results["mean_test_score"], results["std_test_score"], strict=True
        )
    ]
    body = (
        "The README's search, as written there: `GridSearchCV(StratifiedVAEMixture("
        "random_state=0), {\"latent_dims\": [[1, 1, 0], [2, 1, 0], [3, 1, 0]]}, "
        "refit=one_standard_error_refit)` (5 folds) on `make_lollipop(3000, ambient_dim=10, "
        f"noise=0.01, random_state=0)`; {MACHINE_NOTE}. It picked "
        f"`{search.best_params_}` (true: [2, 1, 0]) in {elapsed:.0f} s.\n\n"
        + markdown_table(["latent_dims", "held-out mean LL", "std over folds"], rows)
    )
    print(body, flush=True)
    write_section(README_HEADING, body)
    return search.best_params_


def main(argv=None):
    torch.set_num_threads(1)
    names = sys.argv[1:] if argv is None else argv
    if names == ["--readme"]:
        return bench_readme()
    known = {case[0]: case for case in CASES}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown case(s) {unknown}; known: {sorted(known)}")
    rows = [bench_case(case) for case in ([known[n] for n in names] if names else CASES)]
    header = ["case", "true latent dims", "held-out mean LL per candidate (± std over folds)",
              "one-SE choice", "highest mean", "truth picked", "search (s)"]
    body = (
        f"`GridSearchCV(StratifiedVAEMixture(random_state=0), cv={CV}, "
        f"refit=one_standard_error_refit)` on {N_SAMPLES} points of each preset at noise "
        f"{NOISE} (`random_state=0`), over the true latent dimensions with the stratum of the "
        f"largest dimension one below and one above (the README's pattern); {MACHINE_NOTE}.\n\n"
        + markdown_table(header, rows)
    )
    write_section(HEADING, body)
    return rows


if __name__ == "__main__":
    main()

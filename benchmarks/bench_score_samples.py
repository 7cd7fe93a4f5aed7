"""Speed and accuracy of ``ScoreDiffusionDensity.score_samples`` (issue #13).

For each case, a default ``ScoreDiffusionDensity(random_state=0)`` is fitted on
``N_SAMPLES`` points (cached under ``benchmarks/.cache``) and 300 held-out points of the
same draw are scored:

- ``old``: the solver before issue #13, reproduced here (RK4 in the variance-preserving
  clock ``t`` on a quadratic grid, 48 steps = 192 evaluations of the network and its
  Jacobian, float64 network);
- ``new``: ``score_samples`` with the default ``n_ode_steps`` (exponential multistep
  solver in ``log sigma``, ``n_ode_steps + 1`` evaluations, float32 network, float64 state);
- ``fine``: the reference, a fine-step solve with the exact divergence (the new solver,
  400 steps, float64 network).

Rows per second are the best of 3 repeats, with torch on each number of threads of
``STRATA_BENCH_THREADS`` (default ``1,2``; on a loaded machine two threads can be much
slower than one, so the committed run may use ``1`` only). Errors are
``|log p - log p_fine|`` in nats per point (mean and worst over the 300 points).

Usage: ``python benchmarks/bench_score_samples.py [case ...]``.
"""

import copy
import math
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch
from torch.func import jacrev, vmap

from benchmarks._cases import (
    CACHE_DIR,
    MACHINE_NOTE,
    N_SAMPLES,
    dump_pickle,
    load_pickle,
    make_case,
    markdown_table,
    select_cases,
    write_section,
)
from sklearn_strata import ScoreDiffusionDensity
from sklearn_strata.diffusion import _ode
from sklearn_strata.utils import fill_in_batches, to_tensor

HEADING = "## score_samples speed (bench_score_samples.py)"
DEFAULT_CASES = [
    "lollipop_D10",
    "line_disk_ball_D10_n0.01",
    "crossing_planes_D10",
    "sphere_line_cube_D12",
]
N_TEST = 300
OLD_STEPS = 48
FINE_STEPS = 400
REPEATS = 3
THREADS = tuple(int(n) for n in os.environ.get("STRATA_BENCH_THREADS", "1,2").split(","))


# --- The solver before issue #13 -------------------------------------------------------------


def _old_drift_and_divergence(head, x, t):
    schedule = head.schedule
    t_vec = torch.full((x.shape[0],), float(t), dtype=x.dtype)
    beta = float(schedule.beta(torch.tensor(float(t))))

    def drift(points):
        return -0.5 * beta * (points + head.vp_score(points, t_vec[: points.shape[0]]))

    def drift_one(point):
        return drift(point[None])[0]

    jac = vmap(jacrev(drift_one))(x)
    return drift(x).detach(), torch.diagonal(jac, dim1=1, dim2=2).sum(dim=1)


def _old_log_density(head, x, t_min, n_steps):
    u = torch.linspace(0.0, 1.0, n_steps + 1, dtype=torch.float64)
    grid = t_min + (1.0 - t_min) * u**2
    log_det = torch.zeros(x.shape[0], dtype=x.dtype)
    for k in range(n_steps):
        t0, t1 = float(grid[k]), float(grid[k + 1])
        h = t1 - t0
        f1, d1 = _old_drift_and_divergence(head, x, t0)
        f2, d2 = _old_drift_and_divergence(head, x + 0.5 * h * f1, t0 + 0.5 * h)
        f3, d3 = _old_drift_and_divergence(head, x + 0.5 * h * f2, t0 + 0.5 * h)
        f4, d4 = _old_drift_and_divergence(head, x + h * f3, t1)
        x = x + h / 6.0 * (f1 + 2 * f2 + 2 * f3 + f4)
        log_det = log_det + h / 6.0 * (d1 + 2 * d2 + 2 * d3 + d4)
    log_prior = -0.5 * (x**2).sum(dim=1) - 0.5 * x.shape[1] * math.log(2 * math.pi)
    return log_prior + log_det


def old_score_samples(model, X):
    """``score_samples`` as it was before issue #13 (exact divergence)."""
    X = model._check_input(X)
    module = copy.deepcopy(model._module).double()
    head, head_dim, t_min = module.head(), module.head_dim, module.t_min
    alpha = float(module.schedule.alpha_sigma(torch.tensor(t_min))[0])
    tail_variance = model._tail_variance(module)

    def log_density_of(rows):
        z = to_tensor(model._standardise(X[rows]), model.device_, torch.float64) @ module.basis
        with torch.no_grad():
            log_p = _old_log_density(head, alpha * z[:, :head_dim], t_min, OLD_STEPS)
        tail = z[:, head_dim:]
        log_tail = -0.5 * ((tail**2).sum(dim=1) / tail_variance + tail.shape[1] * math.log(
            2 * math.pi * tail_variance)) if tail.shape[1] else 0.0
        return log_p + log_tail

    out = fill_in_batches(
        np.empty(X.shape[0]), log_density_of, device=model.device_,
        row_bytes=8 * (head_dim + 1) * module.floats_per_row() + 24 * X.shape[1],
    )
    return out + head_dim * math.log(alpha) - X.shape[1] * math.log(model.scale_)


def fine_score_samples(model, X):
    """The reference: the new solver with FINE_STEPS steps and a float64 network."""
    module = copy.deepcopy(model._module).double()
    head, head_dim = module.head(), module.head_dim
    sigma_min, sigma_max = (
        float(module.schedule.smoothing_level(torch.tensor(t, dtype=torch.float64)))
        for t in (module.t_min, 1.0)
    )
    z = to_tensor(model._standardise(model._check_input(X)), "cpu", torch.float64) @ module.basis
    with torch.no_grad():
        log_p = _ode.log_density(
            head, z[:, :head_dim], sigma_min=sigma_min, sigma_max=sigma_max,
            n_steps=FINE_STEPS, dtype=torch.float64,
        )
    tail = z[:, head_dim:]
    tail_variance = model._tail_variance(module)
    if tail.shape[1]:
        log_p = log_p - 0.5 * ((tail**2).sum(dim=1) / tail_variance + tail.shape[1] * math.log(
            2 * math.pi * tail_variance))
    return log_p.numpy() - X.shape[1] * math.log(model.scale_)


# --- Measurements ----------------------------------------------------------------------------


def fitted_model(case):
    """A default model fitted on N_SAMPLES points, and N_TEST held-out points."""
    name = case[0]
    path = CACHE_DIR / f"diffusion_{name}_n{N_SAMPLES}.pkl"
    X, *_ = make_case(case, N_SAMPLES + N_TEST)
    if path.exists():
        model = load_pickle(path)
    else:
        model = ScoreDiffusionDensity(random_state=0).fit(X[:N_SAMPLES])
        dump_pickle(model, path)
    # A cached model keeps the parameters it was fitted with: score with today's default.
    model.set_params(n_ode_steps=ScoreDiffusionDensity().n_ode_steps)
    return model, X[N_SAMPLES:]


def rows_per_second(score, X, n_threads):
    torch.set_num_threads(n_threads)
    best = math.inf
    for _ in range(REPEATS):
        start = time.perf_counter()
        score(X)
        best = min(best, time.perf_counter() - start)
    return len(X) / best


def main(names):
    rows = []
    for case in select_cases(names or DEFAULT_CASES):
        model, X_test = fitted_model(case)
        torch.set_num_threads(1)
        fine = fine_score_samples(model, X_test)
        old = old_score_samples(model, X_test)
        new = model.score_samples(X_test)
        err_old, err_new = np.abs(old - fine), np.abs(new - fine)
        speeds = {
            (which, threads): rows_per_second(score, X_test, threads)
            for which, score in (
                ("old", lambda X, model=model: old_score_samples(model, X)),
                ("new", model.score_samples),
            )
            for threads in THREADS
        }
        row = [
            case[0],
            model.n_learned_directions_,
            " / ".join(f"{speeds['old', n]:.0f}" for n in THREADS),
            " / ".join(f"{speeds['new', n]:.0f}" for n in THREADS),
            " / ".join(f"{speeds['new', n] / speeds['old', n]:.1f}" for n in THREADS),
            f"{err_old.mean():.4f} / {err_old.max():.4f}",
            f"{err_new.mean():.4f} / {err_new.max():.4f}",
        ]
        print(" | ".join(str(cell) for cell in row), flush=True)
        rows.append(row)
    threads = " / ".join(str(n) for n in THREADS) + (" threads" if len(THREADS) > 1 else " thread")
    header = [
        "case",
        "head_dim",
        f"old rows/s ({threads})",
        f"new rows/s ({threads})",
        f"speed-up ({threads})",
        "old err mean / max (nats)",
        "new err mean / max (nats)",
    ]
    n_ode_steps = ScoreDiffusionDensity().n_ode_steps
    body = (
        f"{MACHINE_NOTE} (rows/s: best of {REPEATS}, torch on {threads}; the machine "
        f"is shared, so the times are noisy). Default `ScoreDiffusionDensity(random_state=0)` "
        f"fitted on {N_SAMPLES} points of each case; {N_TEST} held-out points scored.\n\n"
        f"- old: the solver before issue #13, RK4 in the VP time on a quadratic grid, "
        f"{OLD_STEPS} steps = {4 * OLD_STEPS} evaluations of the network and its Jacobian, "
        f"float64 network;\n"
        f"- new: `score_samples` with the default `n_ode_steps={n_ode_steps}`: exponential "
        f"multistep solver (Adams-Bashforth 3 predictor, Adams-Moulton 3 corrector) in "
        f"`log sigma`, {n_ode_steps + 1} evaluations, float32 network, float64 state;\n"
        f"- err: `|log p - log p_fine|` per point, against the new solver with {FINE_STEPS} "
        f"steps and a float64 network (exact divergence).\n\n"
        + markdown_table(header, rows)
    )
    write_section(HEADING, body)


if __name__ == "__main__":
    main(sys.argv[1:])

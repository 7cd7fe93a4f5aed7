"""Fit time of the default estimators against scikit-dimension's pointwise lPCA (issue #13).

Run from the repository root::

    python benchmarks/bench_fit_time.py [--sizes 2000 5000 ...] [--estimators dimension ...]
                                        [--step-times]

Data: the ``line_disk_ball`` preset in R^10 with noise 0.01
(``make_line_disk_ball(n, ambient_dim=10, noise=0.01, random_state=0, return_space=True)``),
n = 2000, 5000, 20000 and 10^5 by default. Per size, every estimator is fitted with its
defaults (``ScoreDimensionEstimator(random_state=0)``, ``StratumCounter(random_state=0)``,
``StratifiedVAEMixture(random_state=0)`` with ``latent_dims="auto"``,
``ScoreDiffusionDensity(random_state=0)``; each fit starts from scratch, the nested models
included), and its time is given as a ratio to scikit-dimension's pointwise lPCA
(``skdim.id.lPCA().fit_pw(X, n_neighbors=100, n_jobs=1)``, the best neighborhood of
``bench_dimension.py`` on this case) measured on the same data in the same run. Beside
every time, the accuracy of that fit:

- dimension estimator and lPCA: fraction of points whose rounded local dimension is exact;
- stratum counter: the strata found, and whether their count and their dimension multiset
  are exact;
- density estimators: mean (and median: a few points far below the rest move the mean) of
  the log-likelihoods of ``--held-out`` points (default 500) drawn from the same stratified
  space (``space.sample(500, noise=0.01, random_state=1)``).

When CUDA is available, every estimator is fitted again with ``device="cuda"`` (the nested
diffusion models too) and the GPU/CPU ratio of the fit times is reported; otherwise those
columns read "-". torch runs on one thread. Results are printed and written to the
"Fit time" section of RESULTS.md (the section holds the sizes of the last run only).
"""

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

from benchmarks._cases import MACHINE_NOTE, markdown_table, write_section
from sklearn_strata import (
    ScoreDiffusionDensity,
    ScoreDimensionEstimator,
    StratifiedVAEMixture,
    StratumCounter,
)
from sklearn_strata.datasets import make_line_disk_ball
from sklearn_strata.utils._torch import training_dtype

HEADING = "## Fit time (bench_fit_time.py)"
SIZES = (2000, 5000, 20_000, 100_000)
ESTIMATORS = ("dimension", "counter", "vae", "diffusion")
AMBIENT_DIM = 10
NOISE = 0.01
LPCA_NEIGHBORS = 100
N_HELD_OUT = 500


def make_data(n_samples, n_held_out):
    """``X``, its true per-point and strata dimensions, and held-out points of its space."""
    X, y, space = make_line_disk_ball(
        n_samples, ambient_dim=AMBIENT_DIM, noise=NOISE, random_state=0, return_space=True
    )
    # The preset places its strata by a random isometry: new points come from its space.
    X_held_out = space.sample(n_held_out, noise=NOISE, random_state=1)[0]
    true_strata = sorted(int(d) for d in space.strata_dims)
    return X, space.pointwise_dimension(y), true_strata, X_held_out


def build(name, device=None):
    """The default estimator ``name``; with ``device``, its nested diffusion models there."""
    if device is None:
        return {
            "dimension": lambda: ScoreDimensionEstimator(random_state=0),
            "counter": lambda: StratumCounter(random_state=0),
            "vae": lambda: StratifiedVAEMixture(random_state=0),
            "diffusion": lambda: ScoreDiffusionDensity(random_state=0),
        }[name]()
    # An unfitted nested estimator left at random_state=None gets the seed its default
    # would get (utils.fit_nested), so these are the default fits on another device.
    def dimension():
        return ScoreDimensionEstimator(ScoreDiffusionDensity(device=device))

    if name == "dimension":
        return ScoreDimensionEstimator(ScoreDiffusionDensity(device=device), random_state=0)
    if name == "counter":
        return StratumCounter(dimension(), random_state=0)
    if name == "vae":
        return StratifiedVAEMixture(
            stratum_counter=StratumCounter(dimension()), device=device, random_state=0
        )
    return ScoreDiffusionDensity(device=device, random_state=0)


def timed_fit(estimator, X):
    start = time.perf_counter()
    estimator.fit(X)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return estimator, time.perf_counter() - start


def lpca(X, true):
    import skdim

    start = time.perf_counter()
    est = skdim.id.lPCA(verbose=False).fit_pw(X, n_neighbors=LPCA_NEIGHBORS, n_jobs=1)
    seconds = time.perf_counter() - start
    dims = np.rint(np.asarray(est.dimension_pw_, dtype=float))
    return seconds, f"exact dims {np.mean(dims == true):.3f}"


def accuracy(name, est, true, true_strata, X_held_out):
    if name == "dimension":
        stages = est.score_model_.n_training_stages_
        return (f"exact dims {np.mean(est.dimension_pw_ == true):.3f}; training stages "
                f"{stages}")
    if name == "counter":
        found = sorted(int(d) for d in est.strata_dims_)
        count = "yes" if len(found) == len(true_strata) else "no"
        multiset = "yes" if found == true_strata else "no"
        return f"strata {found}: count {count}, dims {multiset}"
    loglik = est.score_samples(X_held_out)
    return f"held-out loglik mean {np.mean(loglik):.2f}, median {np.median(loglik):.2f}"


def bench_size(n, names, n_held_out):
    X, true, true_strata, X_held_out = make_data(n, n_held_out)
    t_lpca, acc_lpca = lpca(X, true)
    rows = [[n, "skdim lPCA (k=100)", f"{t_lpca:.1f}", "1.0", acc_lpca, "-", "-"]]
    print(" | ".join(map(str, rows[-1])), flush=True)
    for name in names:
        est, seconds = timed_fit(build(name), X)
        acc = accuracy(name, est, true, true_strata, X_held_out)
        gpu, ratio = "-", "-"
        if torch.cuda.is_available():
            _, gpu_seconds = timed_fit(build(name, device="cuda"), X)
            gpu, ratio = f"{gpu_seconds:.1f}", f"{gpu_seconds / seconds:.2f}"
        label = {
            "dimension": "ScoreDimensionEstimator",
            "counter": "StratumCounter",
            "vae": "StratifiedVAEMixture",
            "diffusion": "ScoreDiffusionDensity",
        }[name]
        rows.append(
            [n, label, f"{seconds:.1f}", f"{seconds / t_lpca:.1f}", acc, gpu, ratio]
        )
        print(" | ".join(map(str, rows[-1])), flush=True)
    return rows


def step_times(n_samples=5000, epochs=50):
    """Milliseconds per training step of the default diffusion model, by precision and threads.

    Best of two fits of ``epochs`` epochs on ``n_samples`` points of the same case, for
    float32 and bfloat16 on one and two threads.
    """
    X, _ = make_line_disk_ball(n_samples, ambient_dim=10, noise=0.01, random_state=0)
    defaults = ScoreDiffusionDensity().get_params()
    width, batch_size = defaults["hidden_width"], defaults["batch_size"]
    n_steps = epochs * (n_samples // batch_size)
    rows = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        row = [str(threads)]
        for precision in ("float32", "bfloat16"):
            best = np.inf
            for _ in range(2):
                model = ScoreDiffusionDensity(
                    max_epochs=epochs, training_precision=precision, random_state=0
                )
                start = time.perf_counter()
                model.fit(X)
                best = min(best, time.perf_counter() - start)
            row.append(f"{1e3 * best / n_steps:.1f}")
        print("step times (ms), threads/float32/bfloat16:", row, flush=True)
        rows.append(row)
    return (
        f"\n\nTraining step of the default `ScoreDiffusionDensity` (width {width}, batches of "
        f"{batch_size}, "
        f"{n_samples} points), ms per step including the data and the optimizer, best of two "
        f"fits of {n_steps} steps:\n\n"
        + markdown_table(["torch threads", "float32", "bfloat16"], rows)
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--estimators", nargs="+", choices=ESTIMATORS, default=list(ESTIMATORS))
    parser.add_argument("--held-out", type=int, default=N_HELD_OUT)
    parser.add_argument(
        "--step-times", action="store_true",
        help="also time a training step in float32 and bfloat16 on 1 and 2 threads",
    )
    parser.add_argument(
        "--threads", type=int, default=torch.get_num_threads(),
        help="torch threads (default: torch's own, one per core)",
    )
    args = parser.parse_args(argv)
    steps = step_times() if args.step_times else ""
    torch.set_num_threads(args.threads)
    rows = []
    for n in args.sizes:
        rows += bench_size(n, args.estimators, args.held_out)
    header = ["n", "estimator", "fit (s)", "fit / lPCA", "accuracy", "CUDA fit (s)", "CUDA / CPU"]
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device"
    body = (
        f"Default fits on `make_line_disk_ball(n, ambient_dim=10, noise=0.01, "
        f"random_state=0)` (true strata dimensions [1, 2, 3]), {MACHINE_NOTE}, torch on "
        f"{args.threads} thread(s); {device}. "
        "*fit / lPCA* divides by the time of scikit-dimension's pointwise lPCA "
        f"(`fit_pw(X, n_neighbors={LPCA_NEIGHBORS}, n_jobs=1)`) on the same data in the same "
        "run. Accuracy: fraction of exact per-point dimensions; for the counter, the strata "
        "dimensions found and whether their count and multiset are exact; for the densities, "
        f"the mean and median log-likelihood of {args.held_out} held-out points "
        "(`space.sample(n, noise=0.01, random_state=1)` of the same space). "
        "Every fit starts from scratch (the counter and the VAE mixture fit their own score "
        "models). The diffusion models train their matrix products in "
        f"{training_dtype('auto', torch.device('cpu'))} (`training_precision=\"auto\"`).\n\n"
        + markdown_table(header, rows)
        + steps
    )
    print("\n" + body)
    write_section(HEADING, body)


if __name__ == "__main__":
    main()

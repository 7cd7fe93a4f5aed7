"""Density benchmark: held-out log-likelihood and sample geometry against classical peers.

Run from the repository root::

    python benchmarks/bench_density.py [case ...]

Per case (noisy stratified data, 75% train / 25% held out, random_state 0):

- held-out mean log-likelihood of ``ScoreDiffusionDensity``, ``StratifiedVAEMixture``
  (``latent_dims="auto"``, reusing a ``StratumCounter`` fitted on the diffusion model's
  score field), ``GaussianMixture`` (number of components by BIC, 1 to 15) and
  ``KernelDensity`` (Gaussian kernel, bandwidth by 3-fold cross-validation);
- median distance of 4000 generated samples to the true strata, divided by the held-out
  data's own median distance (1.0 means the samples lie as close to the strata as real data);
- fit time of each model.

Fitted score models are pickled under ``benchmarks/.cache/`` and reused by later runs.
"""

import datetime
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neighbors import KernelDensity

from benchmarks._cases import (
    CACHE_DIR,
    MACHINE_NOTE,
    N_SAMPLES,
    dump_pickle,
    load_pickle,
    markdown_table,
    write_section,
)
from sklearn_strata import (
    ScoreDiffusionDensity,
    ScoreDimensionEstimator,
    StratifiedVAEMixture,
    StratumCounter,
)
from sklearn_strata.datasets import (
    Cube,
    Segment,
    Sphere,
    make_crossing_planes,
    make_line_disk_ball,
    make_lollipop,
    make_sphere_line,
    make_stratified,
    make_string_in_doughnut,
)

HEADING = "## Density (bench_density.py)"
N_GENERATED = 4000


def _sphere_line_cube(n_samples, *, ambient_dim, noise, random_state, return_space):
    strata = [Sphere(2), Segment(3.0), Cube(3, side=1.0)]
    return make_stratified(
        strata, n_samples, ambient_dim=ambient_dim, noise=noise,
        random_state=random_state, return_space=return_space,
    )


# (name, maker, ambient_dim, noise, geometry)
CASES = [
    ("lollipop_D10_n0.01", make_lollipop, 10, 0.01, "flat"),
    ("lollipop_D10_n0.05", make_lollipop, 10, 0.05, "flat"),
    ("sphere_line_D10_n0.01", make_sphere_line, 10, 0.01, "curved"),
    ("sphere_line_cube_D10_n0.01", _sphere_line_cube, 10, 0.01, "curved + flat"),
    ("string_in_doughnut_D10_n0.05", make_string_in_doughnut, 10, 0.05, "curved"),
    ("crossing_planes_D10_n0.01", make_crossing_planes, 10, 0.01, "crossing"),
    ("line_disk_ball_D10_n0.05", make_line_disk_ball, 10, 0.05, "flat, three dims"),
]


def bic_gaussian_mixture(X, max_components=15):
    best = None
    for k in range(1, max_components + 1):
        gm = GaussianMixture(k, covariance_type="full", random_state=0).fit(X)
        if best is None or gm.bic(X) < best.bic(X):
            best = gm
    return best


def cv_kernel_density(X):
    spacing = np.median(np.linalg.norm(X - X.mean(axis=0), axis=1))
    grid = {"bandwidth": spacing * np.geomspace(0.003, 0.3, 15)}
    return GridSearchCV(KernelDensity(), grid, cv=3).fit(X).best_estimator_


def _timed(make):
    start = time.perf_counter()
    model = make()
    return model, time.perf_counter() - start


def score_models(name, X_train):
    """Fitted diffusion model, dimension estimator and counter of a case (cached)."""
    path = CACHE_DIR / f"density_{name}_n{X_train.shape[0]}.pkl"
    if path.exists():
        return load_pickle(path)
    density, t_density = _timed(lambda: ScoreDiffusionDensity(random_state=0).fit(X_train))
    dims = ScoreDimensionEstimator(density, random_state=0).fit(X_train)
    counter = StratumCounter(dims).fit(X_train)
    result = (density, t_density, counter)
    dump_pickle(result, path)
    return result


def bench_case(case):
    name, maker, ambient_dim, noise, geometry = case
    X, y, space = maker(N_SAMPLES, ambient_dim=ambient_dim, noise=noise, random_state=0,
                        return_space=True)
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    print(f"\n### {name}: n_train={len(X_train)}, D={ambient_dim}, "
          f"true dims {sorted(space.strata_dims.tolist())}", flush=True)
    density, t_density, counter = score_models(name, X_train)
    vae, t_vae = _timed(lambda: StratifiedVAEMixture(
        stratum_counter=counter, random_state=0).fit(X_train))
    gmm, t_gmm = _timed(lambda: bic_gaussian_mixture(X_train))
    kde, t_kde = _timed(lambda: cv_kernel_density(X_train))

    held_out = float(np.median(space.distance(X_test)))
    models = [
        ("ScoreDiffusionDensity", density, t_density, lambda m: m.sample(N_GENERATED, 0)),
        ("StratifiedVAEMixture", vae, t_vae, lambda m: m.sample(N_GENERATED, random_state=0)[0]),
        ("GaussianMixture (BIC)", gmm, t_gmm, lambda m: m.sample(N_GENERATED)[0]),
        ("KernelDensity (CV)", kde, t_kde, lambda m: m.sample(N_GENERATED, random_state=0)),
    ]
    rows = {}
    for label, model, fit_time, draw in models:
        log_likelihood = float(np.mean(model.score_samples(X_test)))
        ratio = float(np.median(space.distance(draw(model))) / held_out)
        detail = ""
        if label == "StratifiedVAEMixture":
            detail = f"latent dims {vae.latent_dims_}"
        elif label.startswith("Gaussian"):
            detail = f"{gmm.n_components} components"
        elif label.startswith("Kernel"):
            detail = f"bandwidth {kde.bandwidth:.3g}"
        rows[label] = {"ll": log_likelihood, "ratio": ratio, "time": fit_time, "detail": detail}
        print(f"  {label}: held-out LL {log_likelihood:.3f}, sample distance ratio "
              f"{ratio:.2f}, fit {fit_time:.1f} s {detail}", flush=True)
    return {"geometry": geometry, "held_out": held_out, "rows": rows}


def render(results):
    header = ["case", "geometry", "model", "held-out mean LL", "sample distance ratio",
              "fit (s)", "detail"]
    rows = []
    for name, res in results.items():
        best_peer = max(res["rows"][k]["ll"] for k in res["rows"] if "Mixture (" in k
                        or k.startswith("Kernel") or k.startswith("Gaussian"))
        for label, r in res["rows"].items():
            mark = " (ahead of both peers)" if (
                label.startswith(("Score", "Stratified")) and r["ll"] > best_peer) else ""
            rows.append([name, res["geometry"], label, f"{r['ll']:.3f}{mark}",
                         f"{r['ratio']:.2f}", f"{r['time']:.1f}", r["detail"]])
    intro = (
        f"Date {datetime.date.today().isoformat()}; {MACHINE_NOTE}; {N_SAMPLES} points per "
        "case, 25% held out; random_state 0. The sample distance ratio is the median distance "
        f"of {N_GENERATED} generated samples to the true strata over the held-out data's "
        "median distance (1.0 = as close as real data). The diffusion model's fit time "
        "is from its first (uncached) run."
    )
    return intro + "\n\n" + markdown_table(header, rows) + "\n\n" + summarise(results) + "\n"


def summarise(results):
    """Which models beat both peers, and whose samples lie within 10% of the data's distance."""
    peers = ("GaussianMixture (BIC)", "KernelDensity (CV)")
    lines = []
    for label in ("ScoreDiffusionDensity", "StratifiedVAEMixture"):
        ahead = [name for name, res in results.items()
                 if res["rows"][label]["ll"] > max(res["rows"][p]["ll"] for p in peers)]
        close = [name for name, res in results.items()
                 if abs(res["rows"][label]["ratio"] - 1.0) <= 0.1]
        behind = sorted(set(results) - set(ahead))
        far = sorted(set(results) - set(close))
        lines.append(
            f"- {label}: ahead of both peers on {len(ahead)} of {len(results)} cases"
            + (f" (not on {', '.join(behind)})" if behind else "")
            + f"; samples within 10% of the data's distance on {len(close)} of {len(results)}"
            + (f" (not on {', '.join(far)})" if far else "") + "."
        )
    return "\n".join(lines)


def main(argv=None):
    torch.set_num_threads(1)
    names = sys.argv[1:] if argv is None else argv
    known = {case[0]: case for case in CASES}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown case(s) {unknown}; known: {sorted(known)}")
    results = {}
    for case in [known[n] for n in names] if names else CASES:
        results[case[0]] = bench_case(case)
    text = render(results)
    print("\n" + text)
    write_section(HEADING, text)
    return results


if __name__ == "__main__":
    main()

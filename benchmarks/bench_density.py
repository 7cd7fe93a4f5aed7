"""Density benchmark: held-out log-likelihood and sample geometry against classical peers.

Run from the repository root::

    python benchmarks/bench_density.py [case ...]
    python benchmarks/bench_density.py --all-presets [case ...]

``--all-presets`` runs every geometry of ``_cases.py`` (the presets of the dimension
benchmarks, old and new) at noise 0.01 and 0.05 instead of the seven cases below, into
its own section of RESULTS.md.

Per case (noisy stratified data, 75% train / 25% held out, random_state 0):

- held-out mean log-likelihood of ``ScoreDiffusionDensity``, ``StratifiedVAEMixture``
  (``latent_dims="auto"``, reusing a ``StratumCounter`` fitted on the diffusion model's
  score field), ``GaussianMixture`` (number of components by BIC, 1 to 15) and
  ``KernelDensity`` (Gaussian kernel, bandwidth by 3-fold cross-validation);
- median distance of 4000 generated samples to the true strata, divided by the held-out
  data's own median distance (1.0 means the samples lie as close to the strata as real data);
- two-sample distances between generated samples and the held-out data, on equal-size
  samples (as many generated points as held-out ones, drawn at random): the sliced
  2-Wasserstein distance over 200 random directions, and the unbiased squared MMD with a
  Gaussian kernel whose bandwidth is the median pairwise distance of the held-out data
  (one bandwidth per case, the same for every model). The floor is the held-out data's
  own distance to a second, independent draw of the same size from the same strata. A model
  that copies its training points (a kernel density with a tiny bandwidth) reaches the
  floor too: read these distances together with the held-out log-likelihood;
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


def _equal_size(X, n, rng):
    """``n`` rows of ``X`` drawn at random without replacement (samplers group by component)."""
    return X[rng.choice(len(X), n, replace=False)] if len(X) > n else X


def sliced_wasserstein(X, Y, n_directions=200, random_state=0):
    """Sliced 2-Wasserstein distance between two samples of equal size.

    Both samples are projected on ``n_directions`` random unit directions (the same for
    both, fixed by ``random_state``); on each direction the 2-Wasserstein distance of two
    empirical measures of equal size is the root mean squared difference of their sorted
    projections. Returns the root mean over the directions of those squared distances.
    """
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    if X.shape != Y.shape:
        raise ValueError(f"samples of equal shape expected, got {X.shape} and {Y.shape}")
    directions = np.random.default_rng(random_state).standard_normal((X.shape[1], n_directions))
    directions /= np.linalg.norm(directions, axis=0)
    gap = np.sort(X @ directions, axis=0) - np.sort(Y @ directions, axis=0)
    return float(np.sqrt(np.mean(gap**2)))


def median_bandwidth(X):
    """Median pairwise Euclidean distance of the rows of ``X`` (the median heuristic)."""
    X = np.asarray(X, dtype=float)
    sq = np.sum(X**2, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * X @ X.T, 0.0)
    return float(np.sqrt(np.median(d2[np.triu_indices(len(X), k=1)])))


def mmd2(X, Y, bandwidth):
    """Unbiased squared maximum mean discrepancy with the kernel exp(-|x-y|^2 / (2 h^2)).

    Its expectation is 0 when ``X`` and ``Y`` come from the same distribution, so values of
    either sign near 0 mean "indistinguishable at this sample size".
    """
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)

    def gram(A, B):
        d2 = np.sum(A**2, 1)[:, None] + np.sum(B**2, 1)[None, :] - 2.0 * A @ B.T
        return np.exp(-np.maximum(d2, 0.0) / (2.0 * bandwidth**2))

    m, n = len(X), len(Y)
    kxx, kyy, kxy = gram(X, X), gram(Y, Y), gram(X, Y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
                 + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2.0 * kxy.mean())


def two_sample_distances(generated, X_test, bandwidth, seed=0):
    """Sliced W2 and MMD^2 of ``generated`` (subsampled to ``len(X_test)``) to ``X_test``."""
    sample = _equal_size(np.asarray(generated), len(X_test), np.random.default_rng(seed))
    return sliced_wasserstein(sample, X_test), mmd2(sample, X_test, bandwidth)


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
    # The floor of the two-sample distances: a second held-out draw of the same size.
    X_second, _ = space.sample(len(X_test), noise=noise, random_state=1)
    bandwidth = median_bandwidth(X_test)
    floor_sw, floor_mmd = two_sample_distances(X_second, X_test, bandwidth)
    print(f"  floor (second held-out draw): sliced W2 {floor_sw:.4f}, MMD^2 {floor_mmd:.2e}",
          flush=True)
    models = [
        ("ScoreDiffusionDensity", density, t_density, lambda m: m.sample(N_GENERATED, 0)),
        ("StratifiedVAEMixture", vae, t_vae, lambda m: m.sample(N_GENERATED, random_state=0)[0]),
        ("GaussianMixture (BIC)", gmm, t_gmm, lambda m: m.sample(N_GENERATED)[0]),
        ("KernelDensity (CV)", kde, t_kde, lambda m: m.sample(N_GENERATED, random_state=0)),
    ]
    rows = {}
    for label, model, fit_time, draw in models:
        log_likelihood = float(np.mean(model.score_samples(X_test)))
        generated = draw(model)
        ratio = float(np.median(space.distance(generated)) / held_out)
        sw, mmd = two_sample_distances(generated, X_test, bandwidth)
        detail = ""
        if label == "StratifiedVAEMixture":
            detail = f"latent dims {vae.latent_dims_}"
        elif label.startswith("Gaussian"):
            detail = f"{gmm.n_components} components"
        elif label.startswith("Kernel"):
            detail = f"bandwidth {kde.bandwidth:.3g}"
        rows[label] = {"ll": log_likelihood, "ratio": ratio, "sw": sw, "mmd": mmd,
                       "time": fit_time, "detail": detail}
        print(f"  {label}: held-out LL {log_likelihood:.3f}, sample distance ratio "
              f"{ratio:.2f}, sliced W2 {sw:.4f}, MMD^2 {mmd:.2e}, fit {fit_time:.1f} s "
              f"{detail}", flush=True)
    return {"geometry": geometry, "held_out": held_out, "rows": rows,
            "floor": {"sw": floor_sw, "mmd": floor_mmd}}


def render(results):
    header = ["case", "geometry", "model", "held-out mean LL", "sample distance ratio",
              "sliced W2", "MMD^2", "fit (s)", "detail"]
    rows = []
    for name, res in results.items():
        best_peer = max(res["rows"][k]["ll"] for k in res["rows"] if "Mixture (" in k
                        or k.startswith("Kernel") or k.startswith("Gaussian"))
        for label, r in res["rows"].items():
            mark = " (ahead of both peers)" if (
                label.startswith(("Score", "Stratified")) and r["ll"] > best_peer) else ""
            rows.append([name, res["geometry"], label, f"{r['ll']:.3f}{mark}",
                         f"{r['ratio']:.2f}", f"{r['sw']:.4f}", f"{r['mmd']:.2e}",
                         f"{r['time']:.1f}", r["detail"]])
        floor = res["floor"]
        rows.append([name, res["geometry"], "second held-out draw (floor)", "", "",
                     f"{floor['sw']:.4f}", f"{floor['mmd']:.2e}", "", ""])
    intro = (
        f"Date {datetime.date.today().isoformat()}; {MACHINE_NOTE}; {N_SAMPLES} points per "
        "case, 25% held out; random_state 0. The sample distance ratio is the median distance "
        f"of {N_GENERATED} generated samples to the true strata over the held-out data's "
        "median distance (1.0 = as close as real data). Sliced W2 (200 random directions) "
        "and the unbiased MMD^2 (Gaussian kernel, bandwidth the median pairwise distance "
        "of the held-out data) compare as many generated points as there are held-out "
        "points with the held-out data; the floor row is a second independent draw of "
        "that size from the true strata, the distance real data would reach. The "
        "diffusion model's fit time is from its first (uncached) run."
    )
    return intro + "\n\n" + markdown_table(header, rows) + "\n\n" + summarise(results) + "\n"


def summarise(results):
    """Which models beat both peers (held-out LL, sliced W2), and whose samples lie within
    10% of the data's distance."""
    peers = ("GaussianMixture (BIC)", "KernelDensity (CV)")
    lines = []
    for label in ("ScoreDiffusionDensity", "StratifiedVAEMixture"):
        ahead = [name for name, res in results.items()
                 if res["rows"][label]["ll"] > max(res["rows"][p]["ll"] for p in peers)]
        close = [name for name, res in results.items()
                 if abs(res["rows"][label]["ratio"] - 1.0) <= 0.1]
        behind = sorted(set(results) - set(ahead))
        far = sorted(set(results) - set(close))
        closer = [name for name, res in results.items()
                  if res["rows"][label]["sw"] < min(res["rows"][p]["sw"] for p in peers)]
        lines.append(
            f"- {label}: ahead of both peers on {len(ahead)} of {len(results)} cases"
            + (f" (not on {', '.join(behind)})" if behind else "")
            + f"; samples within 10% of the data's distance on {len(close)} of {len(results)}"
            + (f" (not on {', '.join(far)})" if far else "")
            + f"; sliced W2 to held-out data below both peers' on {len(closer)} of "
            f"{len(results)}."
        )
    return "\n".join(lines)


ALL_PRESETS_HEADING = "## Density on every preset (bench_density.py --all-presets)"
ALL_PRESETS_NOISES = (0.01, 0.05)


def all_preset_cases():
    """Every geometry of ``_cases.CASES`` (the benchmark presets, old and new) at noise
    0.01 and 0.05, in its own ambient dimension (the redundant-column variant left out:
    its geometry is sphere_line_cube's)."""
    from benchmarks._cases import CASES as PRESET_CASES

    seen, cases = set(), []
    for name, maker, ambient_dim, _ in PRESET_CASES:
        base = name.split("_n0.")[0]
        if base in seen or base.endswith("_redundant"):
            continue
        seen.add(base)
        cases += [(f"{base}_n{noise}", maker, ambient_dim, noise, "preset")
                  for noise in ALL_PRESETS_NOISES]
    return cases


def main(argv=None):
    torch.set_num_threads(1)
    names = sys.argv[1:] if argv is None else argv
    heading, cases = HEADING, CASES
    if "--all-presets" in names:
        names = [n for n in names if n != "--all-presets"]
        heading, cases = ALL_PRESETS_HEADING, all_preset_cases()
    known = {case[0]: case for case in cases}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown case(s) {unknown}; known: {sorted(known)}")
    results = {}
    for case in [known[n] for n in names] if names else cases:
        results[case[0]] = bench_case(case)
    text = render(results)
    print("\n" + text)
    write_section(heading, text)
    return results


if __name__ == "__main__":
    main()

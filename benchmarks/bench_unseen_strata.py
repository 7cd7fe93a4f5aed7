"""Strata on shapes unlike the presets: crossings of equal dimension, junction blobs, bands.

Run from the repository root::

    python benchmarks/bench_unseen_strata.py [shape ...]

Every shape is drawn here (3,000 points carried into R^10 by a random isometry, with
Gaussian noise), none is a preset the defaults were tuned on: circles and planes crossing at
45-90 degrees, a line through a circle, three segments through one point, two spheres
crossing along a circle, a sphere cut by a disk, a circle through a plane, and single
strata sampled unevenly (a circle with a von Mises density, a torus, a Gaussian plane). Per
shape: the default ``StratumCounter`` on a default ``ScoreDimensionEstimator`` (fitted once
and cached in ``benchmarks/.cache/``) and the lPCA baseline of ``bench_strata.py``, against
the true strata.
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
    CACHE_DIR,
    MACHINE_NOTE,
    dump_pickle,
    load_pickle,
    markdown_table,
    write_section,
)
from benchmarks._skdim_baseline import skdim_stratum_counter
from sklearn_strata.datasets import make_crossing_circles, make_crossing_planes
from sklearn_strata.dimension import ScoreDimensionEstimator
from sklearn_strata.strata import StratumCounter

HEADING = "## Strata on shapes unlike the presets (bench_unseen_strata.py)"
N_SAMPLES = 3000
AMBIENT_DIM = 10


def _unit_rows(rng, n, dim):
    points = rng.normal(size=(n, dim))
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def _line_through_circle(rng):
    t = rng.uniform(0, 2 * np.pi, 2000)
    x = rng.uniform(-2, 2, 1000)
    X = np.r_[np.c_[np.cos(t), np.sin(t)], np.c_[x, 0 * x]]
    return X, np.repeat([0, 1], [2000, 1000]), [1, 1], 0.005


def _three_segments_one_point(rng):
    x = rng.uniform(-1, 1, (3, 1000))
    parts = [
        np.c_[x[k] * np.cos(a), x[k] * np.sin(a)] for k, a in enumerate(np.radians([0, 60, 120]))
    ]
    return np.concatenate(parts), np.repeat([0, 1, 2], 1000), [1, 1, 1], 0.01


def _two_spheres_crossing(rng):
    X = _unit_rows(rng, 3000, 3)
    X[:1500, 0] -= 0.6
    X[1500:, 0] += 0.6
    return X, np.repeat([0, 1], 1500), [2, 2], 0.01


def _sphere_cut_by_disk(rng):
    radius, angle = 1.5 * np.sqrt(rng.uniform(size=1200)), rng.uniform(0, 2 * np.pi, 1200)
    disk = np.c_[radius * np.cos(angle), radius * np.sin(angle), 0 * radius]
    return np.r_[_unit_rows(rng, 1800, 3), disk], np.repeat([0, 1], [1800, 1200]), [2, 2], 0.01


def _circle_through_plane(rng):
    t = rng.uniform(0, 2 * np.pi, 1000)
    square = rng.uniform(-1.5, 1.5, (2000, 2))
    X = np.r_[np.c_[np.cos(t), 0 * t, np.sin(t)], np.c_[square, np.zeros(2000)]]
    return X, np.repeat([0, 1], [1000, 2000]), [1, 2], 0.01


def _uneven_circle(rng):
    t = rng.vonmises(0, 1.5, 3000)  # density 20 times higher on one side than the other
    return np.c_[np.cos(t), np.sin(t)], np.zeros(3000, dtype=int), [1], 0.01


def _torus(rng):
    u, v = rng.uniform(0, 2 * np.pi, (2, 3000))
    X = np.c_[(1 + 0.4 * np.cos(v)) * np.cos(u), (1 + 0.4 * np.cos(v)) * np.sin(u), 0.4 * np.sin(v)]
    return X, np.zeros(3000, dtype=int), [2], 0.01


def _gaussian_plane(rng):
    return rng.normal(size=(3000, 2)), np.zeros(3000, dtype=int), [2], 0.01


def _preset(maker, angle, dim):
    def draw(rng):
        X, y = maker(3000, angle=angle, random_state=int(rng.integers(2**31)))
        return X, y, [dim, dim], 0.01

    return draw


SHAPES = {
    "crossing_circles_60": _preset(make_crossing_circles, 60.0, 1),
    "crossing_circles_90": _preset(make_crossing_circles, 90.0, 1),
    "crossing_planes_45": _preset(make_crossing_planes, 45.0, 2),
    "line_through_circle": _line_through_circle,
    "three_segments_one_point": _three_segments_one_point,
    "two_spheres_crossing": _two_spheres_crossing,
    "sphere_cut_by_disk": _sphere_cut_by_disk,
    "circle_through_plane": _circle_through_plane,
    "uneven_circle": _uneven_circle,
    "torus": _torus,
    "gaussian_plane": _gaussian_plane,
}


def make_shape(name):
    """``X, y, dims, noise``: the shape carried into R^10 with its noise.

    ``dims[k]`` is the dimension of the stratum labelled ``k``.
    """
    rng = np.random.default_rng(0)
    X, y, dims, noise = SHAPES[name](rng)
    rotation, _ = np.linalg.qr(rng.normal(size=(AMBIENT_DIM, AMBIENT_DIM)))
    X = np.c_[X, np.zeros((X.shape[0], AMBIENT_DIM - X.shape[1]))] @ rotation.T
    return X + noise * rng.normal(size=X.shape), y, dims, noise


def score_estimator(name, X):
    path = CACHE_DIR / f"score_dim_unseen_{name}_n{N_SAMPLES}.pkl"
    if path.exists():
        return load_pickle(path)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est = ScoreDimensionEstimator(random_state=0).fit(X)
    fitted = (est, time.perf_counter() - start)
    dump_pickle(fitted, path)
    return fitted


def evaluate(counter, y, true_dims, elapsed):
    labels = np.asarray(counter.labels_)
    kept = labels != -1
    found = sorted(int(d) for d in counter.strata_dims_)
    ari = adjusted_rand_score(y[kept], labels[kept]) if kept.any() else float("nan")
    return [
        found,
        "yes" if found == true_dims else "no",
        f"{ari:.3f}",
        f"{1.0 - kept.mean():.3f}",
        f"{elapsed:.1f}",
    ]


def bench_shape(name):
    X, y, dims, noise = make_shape(name)
    true_dims = sorted(dims)
    print(f"\n### {name}: true strata dims {true_dims}, noise {noise}", flush=True)
    est, fit_time = score_estimator(name, X)
    exact = float(np.mean(np.rint(est.dimension_pw_) == np.asarray(dims)[y]))
    rows = []
    for label, make in (
        ("ours (score dims)", lambda: StratumCounter(dimension_estimator=est)),
        ("lPCA baseline", lambda: skdim_stratum_counter(n_neighbors_pca=20)),
    ):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            counter = make().fit(X)
        row = [
            name,
            true_dims,
            noise,
            label,
            *evaluate(counter, y, true_dims, time.perf_counter() - start),
        ]
        row.insert(4, f"{exact:.3f}" if label.startswith("ours") else "-")
        print("  ", row, flush=True)
        rows.append(row)
    return rows, fit_time


def render(rows, fit_times):
    header = [
        "shape",
        "true dims",
        "noise",
        "counter",
        "dimension exact",
        "strata_dims_",
        "exact strata",
        "ARI (labelled)",
        "unlabelled",
        "time (s)",
    ]
    n_exact = sum(row[6] == "yes" for row in rows if row[3].startswith("ours"))
    n_base = sum(row[6] == "yes" for row in rows if row[3].startswith("lPCA"))
    intro = (
        f"Date {datetime.date.today().isoformat()}; {MACHINE_NOTE}; {N_SAMPLES} points in "
        f"R^{AMBIENT_DIM} (random isometry), random_state 0. Shapes drawn in "
        "benchmarks/bench_unseen_strata.py, none of them a preset. `ours`: default "
        "StratumCounter on a default ScoreDimensionEstimator (fit "
        f"{min(fit_times):.0f}-{max(fit_times):.0f} s, cached; *dimension exact*: its "
        "rounded readings against the truth); baseline: scikit-dimension's lPCA in the same "
        f"graph procedure. Exact strata: ours {n_exact} of {len(fit_times)}, baseline "
        f"{n_base} of {len(fit_times)}. ARI on the points with labels_ != -1."
    )
    return intro + "\n\n" + markdown_table(header, rows) + "\n"


def main(argv=None):
    torch.set_num_threads(1)
    names = sys.argv[1:] if argv is None else argv
    unknown = set(names) - set(SHAPES)
    if unknown:
        raise SystemExit(f"unknown shape(s) {sorted(unknown)}; known: {sorted(SHAPES)}")
    rows, fit_times = [], []
    for name in names or SHAPES:
        shape_rows, fit_time = bench_shape(name)
        rows += shape_rows
        fit_times.append(fit_time)
    text = render(rows, fit_times)
    print("\n" + text)
    if not names:
        write_section(HEADING, text)
    return rows


if __name__ == "__main__":
    main()

"""Shared case list and helpers of the benchmarks (``bench_dimension.py``, ``bench_strata.py``).

Every case is ``(name, maker, ambient_dim, noise)``; the data are drawn with
``maker(N_SAMPLES, ambient_dim=..., noise=..., random_state=0, return_space=True)``; a maker
with extra keyword arguments is a ``functools.partial``.
"""

import os
import pickle
import re
from functools import partial
from pathlib import Path

from sklearn_strata.datasets import (
    add_redundant_columns,
    make_crossing_circles,
    make_crossing_planes,
    make_high_dim_strata,
    make_line_disk_ball,
    make_lollipop,
    make_scaled_strata,
    make_self_intersecting_surface,
    make_sphere_line,
    make_sphere_line_cube,
    make_string_in_doughnut,
    make_twisted_strata,
)

BENCH_DIR = Path(__file__).resolve().parent
CACHE_DIR = BENCH_DIR / ".cache"
RESULTS = BENCH_DIR / "RESULTS.md"
N_SAMPLES = int(os.environ.get("STRATA_BENCH_N", "3000"))
MACHINE_NOTE = os.environ.get("STRATA_BENCH_MACHINE", "2-core CPU, torch threads 1")


def _sphere_line_cube_redundant(n_samples, **kwargs):
    """``make_sphere_line_cube`` followed by ``add_redundant_columns(X, 2, 3)``."""
    X, y, *space = make_sphere_line_cube(n_samples, **kwargs)
    return (add_redundant_columns(X, 2, 3, random_state=0), y, *space)


CASES = [
    ("lollipop_D10", make_lollipop, 10, 0.0),
    ("sphere_line_D10_n0.01", make_sphere_line, 10, 0.01),
    ("lollipop_D10_n0.05", make_lollipop, 10, 0.05),
    ("line_disk_ball_D10_n0.01", make_line_disk_ball, 10, 0.01),
    ("crossing_planes_D10", make_crossing_planes, 10, 0.0),
    ("string_in_doughnut_D30_n0.01", make_string_in_doughnut, 30, 0.01),
    # Strata of dimensions 2, 1 and 4 of different extents (the "Score engine II" issue).
    ("sphere_line_cube_D12", make_sphere_line_cube, 12, 0.0),
    ("sphere_line_cube_D12_n0.01", make_sphere_line_cube, 12, 0.01),
    # A large disk, a small circle and a short segment: scales and shares 10:1.
    ("scaled_strata_D10", make_scaled_strata, 10, 0.0),
    # A 3-half-twist band crossed by a 10-turn helix, both sampled 5:1 non-uniformly, and a
    # ball (dimensions 2, 1, 3).
    ("twisted_strata_D10", make_twisted_strata, 10, 0.0),
    ("twisted_strata_D10_n0.01", make_twisted_strata, 10, 0.01),
    # A Klein bottle crossing itself along a circle (all of it dimension 2) and a segment.
    ("self_intersecting_D10", make_self_intersecting_surface, 10, 0.0),
    # A 10-cube touched by a circle and a 5-sphere; a single 20-cube.
    ("high_dim_mixed_D60", partial(make_high_dim_strata, strata_dims=(10, 1, 5)), 60, 0.0),
    ("high_dim_20_D80", partial(make_high_dim_strata, strata_dims=(20,)), 80, 0.0),
    # sphere_line_cube with 2 constant and 3 (rescaled) copied columns: X is in R^17, the
    # returned space (truth, distances) stays in the R^12 of the first 12 columns.
    ("sphere_line_cube_D12_redundant", _sphere_line_cube_redundant, 12, 0.0),
    # Two unit circles crossing twice at 45 degrees: near the crossings the smoothed
    # tangents turn from one circle to the other.
    ("crossing_circles_45_D10_n0.01", partial(make_crossing_circles, angle=45.0), 10, 0.01),
]


def select_cases(names):
    """The cases whose names are in ``names`` (all cases when ``names`` is empty)."""
    if not names:
        return list(CASES)
    known = {case[0]: case for case in CASES}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"unknown case(s) {unknown}; known: {sorted(known)}")
    return [known[name] for name in names]


def make_case(case, n_samples=None):
    """``X, y, true_dims, space`` of a case."""
    _, maker, ambient_dim, noise = case
    n = N_SAMPLES if n_samples is None else n_samples
    X, y, space = maker(n, ambient_dim=ambient_dim, noise=noise, random_state=0, return_space=True)
    return X, y, space.pointwise_dimension(y), space


def cache_path(name, n_samples=None):
    """Pickle file of the fitted ``ScoreDimensionEstimator`` of a case."""
    n = N_SAMPLES if n_samples is None else n_samples
    return CACHE_DIR / f"score_dim_{name}_n{n}.pkl"


def read_again(estimator, X):
    """A cached ``ScoreDimensionEstimator`` with its trained score model read by today's code.

    The same result as a fresh ``ScoreDimensionEstimator(random_state=0).fit(X)`` (the
    model's seed comes from the same stream), without the training: the cache stays valid
    while only the readings, the level selection or the reference change.
    """
    from sklearn_strata import ScoreDimensionEstimator

    return ScoreDimensionEstimator(estimator.score_model_, random_state=0).fit(X)


def load_pickle(path):
    with open(path, "rb") as handle:
        return pickle.load(handle)


def dump_pickle(obj, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as handle:
        pickle.dump(obj, handle)
    tmp.replace(path)


def markdown_table(header, rows):
    """A markdown table from a header and rows of cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_section(heading, body, path=RESULTS):
    """Replace (or append) the ``heading`` section of RESULTS.md, keeping every other one."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    section = f"{heading}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text)

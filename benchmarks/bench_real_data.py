"""Real data: what the default dimension estimator reports, beside scikit-dimension.

Run from the repository root::

    python benchmarks/bench_real_data.py

Data that ship with scikit-learn or with this package (nothing is downloaded):

- ``load_digits``: 1,797 images of 8x8 pixels (64 features), and the 183 images of the
  digit 3 alone;
- the shipped alanine dipeptide trajectory (``load_alanine_dipeptide``), 3,000 frames
  (every 5th of the first 15,000): its backbone dihedrals as points of a torus in R^4
  (``features="dihedrals"``; the conformations move on the 2-dimensional
  (phi, psi) torus), and the positions of its ten heavy atoms (``"coordinates"``, R^30:
  the torus plus the thermal vibrations of the bonds, with no single intrinsic dimension).

No per-point truth exists here. The table gives the default
``ScoreDimensionEstimator(random_state=0)``'s mean per-point dimension, its histogram, the
fraction of points it calls reliable (confidence >= 0.5) and the warnings of ``fit``,
beside scikit-dimension's global TwoNN, MLE and DANCo. What matters is that the
estimator does not answer confidently where the peers disagree with it. Results are
printed and written to the "Real data" section of RESULTS.md.
"""

import sys
import time
import warnings
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

from benchmarks._cases import MACHINE_NOTE, markdown_table, write_section
from sklearn_strata import ScoreDimensionEstimator

HEADING = "## Real data (bench_real_data.py)"
HEADER = [
    "data", "shape", "ours: mean", "ours: histogram (share >= 2%)", "reliable share",
    "TwoNN", "MLE", "DANCo", "fit (s)", "fit warnings",
]


def real_data_sets():
    from sklearn.datasets import load_digits

    from sklearn_strata.datasets import load_alanine_dipeptide

    digits = load_digits()
    return [
        ("digits", digits.data.astype(float)),
        ("digits, class 3", digits.data[digits.target == 3].astype(float)),
        ("alanine dipeptide, dihedrals", load_alanine_dipeptide(15000)[::5]),
        ("alanine dipeptide, heavy atoms",
         load_alanine_dipeptide(15000, features="coordinates")[::5]),
    ]


def peer_estimates(X):
    import skdim

    peers = {}
    for name, estimator in [("TwoNN", skdim.id.TwoNN()), ("MLE", skdim.id.MLE()),
                            ("DANCo", skdim.id.DANCo(random_state=0))]:
        peers[name] = f"{float(estimator.fit(X).dimension_):.2f}"
    return peers


def bench(name, X):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        est = ScoreDimensionEstimator(random_state=0).fit(X)
        fit_time = time.perf_counter() - start
    messages = [str(w.message).split(":")[0][:60] for w in caught if w.category is UserWarning]
    dims = est.dimension_pw_
    values, counts = np.unique(dims, return_counts=True)
    histogram = " ".join(
        f"{int(v)}: {c / len(dims):.2f}" for v, c in zip(values, counts, strict=True)
        if c / len(dims) >= 0.02
    )
    peers = peer_estimates(X)
    return [
        name, f"{X.shape[0]} x {X.shape[1]}", f"{dims.mean():.2f}", histogram,
        f"{np.mean(est.dimension_confidence_ >= 0.5):.2f}", peers["TwoNN"], peers["MLE"],
        peers["DANCo"], f"{fit_time:.0f}", "; ".join(messages) or "none",
    ]


def main():
    torch.set_num_threads(1)
    rows = []
    for name, X in real_data_sets():
        row = bench(name, X)
        print(" | ".join(row), flush=True)
        rows.append(row)
    body = (
        f"Default `ScoreDimensionEstimator(random_state=0)`, {MACHINE_NOTE}; peers: "
        "scikit-dimension's global TwoNN, MLE and DANCo with default parameters. No "
        "per-point truth exists: the alanine dihedrals lie on the 2-dimensional (phi, psi) "
        "torus; digits and heavy-atom positions have no single dimension (the peers read "
        "7-10). *Reliable share* is the fraction of points with `dimension_confidence_ >= "
        "0.5`.\n\n" + markdown_table(HEADER, rows)
    )
    write_section(HEADING, body)


if __name__ == "__main__":
    main()

"""Global intrinsic dimension on scikit-dimension's ``BenchmarkManifolds`` (24 manifolds).

Run from the repository root::

    python benchmarks/bench_benchmark_manifolds.py [--only NAME[,NAME]] [--peers-only]
                                                   [--n N] [--write | --no-write]

The field's standard suite (Hein & Audibert 2005; Campadelli et al. 2015): 24 manifolds of
known intrinsic dimension ``d``, ambient dimension ``D`` from 3 to 96, ``n = 2500`` points
each, drawn with ``skdim.datasets.BenchmarkManifolds(random_state=0)`` in the order of its
``truth`` table (always all 24 in turn, so a manifold's data do not depend on ``--only``).

Per manifold:

- ours: ``ScoreDimensionEstimator(random_state=0).fit(X)``; the estimate is the mean of
  ``dimension_pw_``; also its ``noise_level_``, the mean of ``dimension_confidence_`` (NaN
  when the estimator has none) and the fit time (torch on one thread);
- scikit-dimension's global estimators with their default parameters: ``lPCA`` (ver "FO"
  on the whole data set), ``MLE`` (20 neighbors, "mle" combination), ``TwoNN`` (10% of the
  largest ratios discarded), ``TLE`` and ``MADA`` (20 neighbors, mean of the pointwise
  estimates), ``DANCo`` (k=10, D = ambient dimension, simulated calibration, random_state 0).
  ``ESS`` is left out (about 100 s per manifold). Their estimates and times are cached in
  ``benchmarks/.cache/bm_peers_<name>_n<n>.json``, so a rerun only fits ours.

Ours is cached too, in ``benchmarks/.cache/bm_ours_<name>_n<n>.json``, but only reused while
the source of ``sklearn_strata`` is byte-for-byte the same (a hash of its ``.py`` files), so
an interrupted run resumes and a changed estimator is always refitted.

The table gives every estimate and its relative error ``|d_hat - d| / d``, then per estimator
the mean relative error, the number of manifolds within 10% of the truth and the total time.
The "BenchmarkManifolds" section of RESULTS.md is written only by a complete run (all 24
manifolds, n = 2500, ours included) unless ``--write`` asks for it; ``--no-write`` never
writes. Our fit takes about 40-90 s per manifold on one CPU thread (about 30 minutes in all);
the peers take a few minutes the first time.
"""

import argparse
import datetime
import hashlib
import json
import math
import sys
import time
import warnings
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

from benchmarks._cases import CACHE_DIR, MACHINE_NOTE, markdown_table, write_section

HEADING = "## BenchmarkManifolds"
N_DEFAULT = 2500
SEED = 0
PEERS = ("lPCA", "MLE", "TwoNN", "TLE", "MADA", "DANCo")
# Constructor arguments beyond the defaults: only silence and reproducibility.
PEER_PARAMS = {"lPCA": {"verbose": False}, "DANCo": {"random_state": SEED}}
WITHIN = 0.10
PACKAGE_DIR = Path(__file__).resolve().parent.parent / "sklearn_strata"


def truth():
    """``{name: (d, D)}`` of the suite, in the order of scikit-dimension's table."""
    import skdim

    table = skdim.datasets.BenchmarkManifolds(random_state=SEED).truth
    return {
        str(name): (int(row["Intrinsic Dimension"]), int(row["Number of variables"]))
        for name, row in table.iterrows()
    }


def generate(n):
    """Every manifold's data, drawn in turn from one generator seeded with ``SEED``."""
    import skdim

    bm = skdim.datasets.BenchmarkManifolds(random_state=SEED)
    return {
        name: np.asarray(bm.generate(name, n=n, dim=D, d=d), dtype=np.float64)
        for name, (d, D) in truth().items()
    }


def source_hash():
    """Hash of the package's Python source: our cached results are valid only for it."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def read_json(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_json(obj, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, indent=1))
    tmp.replace(path)


def run_peers(name, X):
    """The peers' global estimates of one manifold (cached by name and sample size)."""
    import skdim

    path = CACHE_DIR / f"bm_peers_{name}_n{X.shape[0]}.json"
    cached = read_json(path)
    if cached and cached.get("skdim") == skdim.__version__ and set(PEERS) <= set(cached["peers"]):
        return cached["peers"], True
    peers = {}
    for peer in PEERS:
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est = getattr(skdim.id, peer)(**PEER_PARAMS.get(peer, {})).fit(X)
            peers[peer] = {"estimate": float(est.dimension_), "time": time.perf_counter() - start}
        except Exception as exc:  # noqa: BLE001 - a peer's failure is a result
            peers[peer] = {
                "estimate": float("nan"),
                "time": time.perf_counter() - start,
                "error": f"{type(exc).__name__}: {exc}",
            }
    write_json({"skdim": skdim.__version__, "peers": peers}, path)
    return peers, False


def run_ours(name, X, code):
    """Our estimate of one manifold (cached while the package source is unchanged)."""
    from sklearn_strata import ScoreDimensionEstimator

    path = CACHE_DIR / f"bm_ours_{name}_n{X.shape[0]}.json"
    cached = read_json(path)
    if cached and cached.get("source_hash") == code:
        return cached, True
    start = time.perf_counter()
    est = ScoreDimensionEstimator(random_state=SEED).fit(X)
    fit_time = time.perf_counter() - start
    dims = np.asarray(est.dimension_pw_, dtype=float)
    try:  # per-point confidence; attribute being added to the estimator, NaN until then
        confidence = float(
            np.mean(np.asarray(getattr(est, "dimension_confidence_", np.nan), float))
        )
    except (TypeError, ValueError):
        confidence = float("nan")
    res = {
        "estimate": float(np.mean(dims)),
        "n_nonfinite": int(np.sum(~np.isfinite(dims))),
        "noise_level": float(est.noise_level_),
        "confidence": confidence,
        "method": str(getattr(est, "method", "")),
        "time": fit_time,
        "source_hash": code,
        "date": datetime.date.today().isoformat(),
    }
    write_json(res, path)
    return res, False


def rel_error(estimate, d):
    return abs(estimate - d) / d if math.isfinite(estimate) else float("nan")


def fmt(value, spec=".2f"):
    return "-" if value is None else ("nan" if not math.isfinite(value) else format(value, spec))


def render(results, n, with_ours):
    estimators = (["ours"] if with_ours else []) + list(PEERS)

    def estimate(res, est):
        return res["ours"]["estimate"] if est == "ours" else res["peers"][est]["estimate"]

    def elapsed(res, est):
        return res["ours"]["time"] if est == "ours" else res["peers"][est]["time"]

    est_rows, err_rows = [], []
    for name, res in results.items():
        d, D = res["d"], res["D"]
        est_rows.append([name, d, D, *(fmt(estimate(res, e)) for e in estimators)])
        if with_ours:
            ours = res["ours"]
            est_rows[-1] += [
                fmt(ours["time"], ".0f"),
                fmt(ours["noise_level"], ".3g"),
                fmt(ours["confidence"], ".3f"),
            ]
        err_rows.append(
            [name, d, D, *(fmt(rel_error(estimate(res, e), d), ".3f") for e in estimators)]
        )
    summary_rows = []
    for e in estimators:
        errors = np.array([rel_error(estimate(res, e), res["d"]) for res in results.values()])
        finite = np.isfinite(errors)
        failed = int(np.sum(~finite))
        summary_rows.append(
            [
                e,
                fmt(float(np.mean(errors[finite])) if finite.any() else float("nan"), ".3f")
                + (f" ({failed} failed)" if failed else ""),
                f"{int(np.sum(errors[finite] <= WITHIN))} / {len(errors)}",
                fmt(sum(elapsed(res, e) for res in results.values()), ".1f"),
            ]
        )
    extra = ["ours fit (s)", "ours noise level", "ours mean confidence"] if with_ours else []
    peers_note = (
        "scikit-dimension " + results[next(iter(results))]["skdim"] + " global estimators "
        "with default parameters: lPCA (ver FO, whole data set), MLE (20 neighbors, mle "
        "combination), TwoNN (discard 10%), TLE and MADA (20 neighbors, mean), DANCo (k 10, "
        "D = ambient dimension, simulated calibration, random_state 0); ESS left out (about "
        "100 s per manifold)"
    )
    ours_note = (
        "Ours: mean of `ScoreDimensionEstimator(random_state=0).fit(X).dimension_pw_` "
        f"(method {results[next(iter(results))]['ours']['method']}); fit time with torch on "
        "one thread. "
        if with_ours
        else "Ours not run (--peers-only). "
    )
    lines = [
        f"Date {datetime.date.today().isoformat()}; {MACHINE_NOTE}; "
        f"`skdim.datasets.BenchmarkManifolds(random_state=0)`, n = {n}, {len(results)} "
        f"manifolds. {ours_note}Peers: {peers_note}. Relative error is |d_hat - d| / d; "
        f'"within 10%" counts relative errors <= {WITHIN}.',
        "",
        "### Summary",
        "",
        markdown_table(
            ["estimator", "mean relative error", "within 10% of d", "total time (s)"],
            summary_rows,
        ),
        "",
        "### Estimates",
        "",
        markdown_table(["manifold", "d", "D", *estimators, *extra], est_rows),
        "",
        "### Relative error",
        "",
        markdown_table(["manifold", "d", "D", *estimators], err_rows),
    ]
    failures = [
        f"{name} {peer}: {p['error']}"
        for name, res in results.items()
        for peer, p in res["peers"].items()
        if "error" in p
    ]
    if failures:
        lines += ["", "Failures: " + "; ".join(failures) + "."]
    return "\n".join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        default="",
        metavar="NAME[,NAME]",
        help="run only these manifolds (comma-separated names)",
    )
    parser.add_argument(
        "--peers-only",
        action="store_true",
        help="run (or read from the cache) only scikit-dimension's estimators",
    )
    parser.add_argument(
        "--n", type=int, default=N_DEFAULT, help=f"points per manifold (default {N_DEFAULT})"
    )
    write = parser.add_mutually_exclusive_group()
    write.add_argument(
        "--write", action="store_true", help="write the RESULTS.md section even for a partial run"
    )
    write.add_argument("--no-write", action="store_true", help="never write RESULTS.md")
    return parser.parse_args(argv)


def main(argv=None):
    import skdim

    args = parse_args(sys.argv[1:] if argv is None else argv)
    torch.set_num_threads(1)
    known = truth()
    names = [s for s in args.only.split(",") if s] or list(known)
    unknown = [s for s in names if s not in known]
    if unknown:
        raise SystemExit(f"unknown manifold(s) {unknown}; known: {list(known)}")
    data = generate(args.n)
    code = None if args.peers_only else source_hash()
    results = {}
    for name in names:
        X = data[name]
        d, D = known[name]
        res = {"d": d, "D": D, "skdim": skdim.__version__}
        res["peers"], peers_cached = run_peers(name, X)
        line = " ".join(
            f"{peer} {fmt(p['estimate'])} ({p['time']:.1f} s)" for peer, p in res["peers"].items()
        )
        print(
            f"{name}: d={d} D={D} n={X.shape[0]} | {line}"
            + (" [peers cached]" if peers_cached else ""),
            flush=True,
        )
        if not args.peers_only:
            res["ours"], ours_cached = run_ours(name, X, code)
            o = res["ours"]
            print(
                f"  ours {fmt(o['estimate'])} (rel. error {rel_error(o['estimate'], d):.3f}) "
                f"fit {o['time']:.1f} s noise level {o['noise_level']:.3g} "
                f"confidence {fmt(o['confidence'], '.3f')}"
                + (f" {o['n_nonfinite']} non-finite" if o["n_nonfinite"] else "")
                + (" [cached, same source]" if ours_cached else ""),
                flush=True,
            )
        results[name] = res
    text = render(results, args.n, with_ours=not args.peers_only)
    print("\n" + text)
    complete = len(results) == len(known) and args.n == N_DEFAULT and not args.peers_only
    if args.write or (complete and not args.no_write):
        write_section(HEADING, text)
        print(f"\nwrote the {HEADING!r} section of benchmarks/RESULTS.md")
    else:
        print("\nRESULTS.md not written (partial run; --write forces it)")
    return results


if __name__ == "__main__":
    main()

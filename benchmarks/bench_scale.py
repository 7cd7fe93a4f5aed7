"""Inference cost at scale: wall time, rows per second and peak memory (issue #7).

Run from the repository root::

    python benchmarks/bench_scale.py [--max-rows N] [--budget SECONDS] [--only TEXT ...]

Every estimator is fitted once on a small training set (2000 points of ``make_lollipop`` in
R^10, noise 0.01; modest but real configurations: the fit quality is irrelevant, only the
inference cost is measured). Then every inference method runs on 10^3, 10^4, 10^5 and 10^6
new rows, one measurement at a time, each in a fresh process (``multiprocessing`` spawn):

- the input rows are loaded before the baseline, so the memory reported is beyond the input
  (10^6 x 10 float64 is 80 MB by itself); one small warm-up call comes first;
- peak memory: the process's resident set size high-water mark (``VmHWM``, reset just before
  the call through ``/proc/self/clear_refs``) minus its resident size before the call. This
  counts torch's allocations too (tracemalloc does not); the output array is included and
  reported in its own column. Where ``clear_refs`` is unavailable, RSS is sampled every
  millisecond in a thread instead (a lower bound).

10^3 always runs; a larger size runs only if its time predicted from the rate at the largest
size measured so far is under the budget (``--budget`` or ``STRATA_BENCH_SCALE_BUDGET``,
default 240 s); the others are reported as "skipped (predicted N s)" (the default
``score_samples``, ~10 rows/s, runs only 10^3 rows). ``--max-rows`` or
``STRATA_BENCH_SCALE_MAX`` caps the largest size (default 10^6). ``--only TEXT`` re-measures
the methods whose label contains TEXT and keeps the others from the last run. torch runs on
one thread (the sizes run one after the other, never in parallel); a full run takes about 15
minutes on two shared cores. Results are printed and written to
the "Scale" section of RESULTS.md.
"""

import argparse
import datetime
import gc
import json
import math
import multiprocessing
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

from benchmarks._cases import (
    CACHE_DIR,
    MACHINE_NOTE,
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
from sklearn_strata.datasets import make_lollipop

HEADING = "## Scale (bench_scale.py)"
SIZES = (10**3, 10**4, 10**5, 10**6)
ALWAYS_RUN = 10**3
N_TRAIN = 2000
AMBIENT_DIM = 10
NOISE = 0.01
N_THREADS = 1
RESULTS_JSON = CACHE_DIR / "scale_results.json"
WARMUP_ROWS = 64
# Peak-memory growths under this many MB are within the allocator's run-to-run noise.
NOISE_MB = 40

# (label, fitted model, method, parameters set before the call); "sample" takes a number of
# rows, the other methods X. The default score_samples (48 RK4 steps, exact divergence in
# float64) does ~10 rows/s on one thread: 10^4 rows would take half an hour, so it is also
# measured with 4 ODE steps (12x cheaper, the same batching) to see how it grows.
METHODS = [
    ("ScoreDimensionEstimator.transform", "dimension", "transform", {}),
    ("ScoreDiffusionDensity.score_samples", "diffusion", "score_samples", {}),
    (
        "ScoreDiffusionDensity.score_samples (n_ode_steps=4)",
        "diffusion",
        "score_samples",
        {"n_ode_steps": 4},
    ),
    ("ScoreDiffusionDensity.sample", "diffusion", "sample", {}),
    ("StratumCounter.predict", "counter", "predict", {}),
    ("StratifiedVAEMixture.score_samples", "vae", "score_samples", {}),
    ("StratifiedVAEMixture.predict", "vae", "predict", {}),
    ("StratifiedVAEMixture.sample", "vae", "sample", {}),
]
CONFIGS = {
    "diffusion": "ScoreDiffusionDensity(max_epochs=20) (width 256, 3 blocks, 48 RK4 steps "
    "with the exact divergence, 200 sampling steps)",
    "dimension": "ScoreDimensionEstimator(that model) (jacobian method, auto noise level)",
    "counter": "StratumCounter(that estimator) (n_neighbors 10)",
    "vae": "StratifiedVAEMixture(latent_dims='auto' from that counter, max_epochs=20) "
    "(hidden (128, 128), 32 importance samples)",
}


# ----------------------------------------------------------------------- fitting (parent)


def fit_models(models_path):
    """Fit the four estimators on the training set; pickle them for the measurements."""
    X, _ = make_lollipop(N_TRAIN, ambient_dim=AMBIENT_DIM, noise=NOISE, random_state=0)
    fit_times = {}
    start = time.perf_counter()
    diffusion = ScoreDiffusionDensity(max_epochs=20, random_state=0).fit(X)
    fit_times["diffusion"] = time.perf_counter() - start
    start = time.perf_counter()
    dimension = ScoreDimensionEstimator(diffusion, random_state=0).fit(X)
    fit_times["dimension"] = time.perf_counter() - start
    start = time.perf_counter()
    counter = StratumCounter(dimension).fit(X)
    fit_times["counter"] = time.perf_counter() - start
    start = time.perf_counter()
    vae = StratifiedVAEMixture(stratum_counter=counter, max_epochs=20, random_state=0).fit(X)
    fit_times["vae"] = time.perf_counter() - start
    models = {"diffusion": diffusion, "dimension": dimension, "counter": counter, "vae": vae}
    dump_pickle(models, models_path)
    batch = {label: batch_rows(models, model, method) for label, model, method, _ in METHODS}
    print(
        f"fitted on {N_TRAIN} rows: "
        + ", ".join(f"{name} {t:.1f} s" for name, t in fit_times.items())
        + f"; {counter.n_strata_} strata of dims {[int(d) for d in counter.strata_dims_]}",
        flush=True,
    )
    return fit_times, batch


def batch_rows(models, model, method):
    """Rows per inference batch of a method, from the package's constants (None if unknown)."""
    from sklearn_strata.diffusion import _density
    from sklearn_strata.dimension import _estimator
    from sklearn_strata.mixture import _vae_mixture
    from sklearn_strata.strata import _graph

    if model == "dimension":
        return getattr(_estimator, "_BATCH", None)
    if model == "diffusion":
        batch = getattr(_density, "_INFERENCE_BATCH", None)
        return batch * 4 if batch is not None and method == "sample" else batch
    if model == "counter":
        return getattr(_graph, "_PREDICT_BATCH", None)
    chunk = getattr(_vae_mixture, "_INFERENCE_CHUNK", None)
    if chunk is None or method == "sample":
        return chunk
    return max(1, chunk // models["vae"].n_importance_samples)


def make_inputs(path, max_rows):
    """New rows from the same distribution (another seed), saved once for every size."""
    X, _ = make_lollipop(max_rows, ambient_dim=AMBIENT_DIM, noise=NOISE, random_state=1)
    np.save(path, X)


# -------------------------------------------------------------- measuring (fresh process)


def _status_kib(field):
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", text, re.M).group(1))


def _reset_peak():
    """Reset the peak-RSS counter (Linux >= 4.0); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return _status_kib("VmHWM") <= _status_kib("VmRSS") + 1024
    except (OSError, AttributeError):
        return False


class _RssSampler(threading.Thread):
    """Fallback: sample the RSS every millisecond (a lower bound of the peak)."""

    def __init__(self):
        super().__init__(daemon=True)
        import psutil

        self._process = psutil.Process()
        self.peak = self._process.memory_info().rss
        self._stop = threading.Event()

    def run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(0.001)

    def stop(self):
        self._stop.set()
        self.join()
        return max(self.peak, self._process.memory_info().rss)


def _call(model, method, arg):
    if method == "sample":
        return model.sample(arg, random_state=0)
    return getattr(model, method)(arg)


def _nbytes(out):
    return sum(np.asarray(o).nbytes for o in out) if isinstance(out, tuple) else out.nbytes


def measure(task):
    """One measurement, meant to run in a fresh (spawned) process."""
    torch.set_num_threads(N_THREADS)
    model = load_pickle(Path(task["models"]))[task["model"]].set_params(**task["params"])
    method, n_rows = task["method"], task["n_rows"]
    if method == "sample":
        arg, warm = n_rows, WARMUP_ROWS
        input_mb = 0.0
    else:
        source = np.load(task["inputs"], mmap_mode="r")
        arg = np.array(source[:n_rows])  # a private copy; the mapped file is released
        del source
        warm = arg[:WARMUP_ROWS]
        input_mb = arg.nbytes / 2**20
    _call(model, method, warm)
    gc.collect()
    before = _status_kib("VmRSS") * 1024
    exact = _reset_peak()
    sampler = None if exact else _RssSampler()
    if sampler is not None:
        sampler.start()
    start = time.perf_counter()
    out = _call(model, method, arg)
    elapsed = time.perf_counter() - start
    peak = _status_kib("VmHWM") * 1024 if exact else sampler.stop()
    return {
        "time": elapsed,
        "extra_mb": (peak - before) / 2**20,
        "output_mb": _nbytes(out) / 2**20,
        "input_mb": input_mb,
        "peak_source": "VmHWM" if exact else "sampled",
    }


def run_fresh(task):
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        try:
            return pool.apply(measure, (task,))
        except Exception as exc:  # noqa: BLE001 - a failing method is a result
            return {"error": f"{type(exc).__name__}: {exc}"[:200]}


# -------------------------------------------------------------------------- reporting


def _fmt_time(seconds):
    return f"{seconds:.2f}" if seconds < 100 else f"{seconds:.0f}"


def result_rows(results):
    rows = []
    for label, *_ in METHODS:
        for n_rows, res in results.get(label, {}).items():
            n = int(n_rows)
            size = f"10^{round(math.log10(n))}" if n == 10 ** round(math.log10(n)) else str(n)
            if "skipped" in res or "error" in res:
                note = (
                    f"skipped (predicted {res['skipped']:.0f} s)"
                    if "skipped" in res
                    else f"error: {res['error']}"
                )
                rows.append([label, size, note, "-", "-", "-", "-"])
                continue
            rows.append(
                [
                    label,
                    size,
                    _fmt_time(res["time"]),
                    f"{n / res['time']:,.0f}",
                    f"{res['extra_mb']:.1f}",
                    f"{res['extra_mb'] / n * 1e5:.2f}",
                    f"{res['output_mb']:.2f}",
                ]
            )
    header = [
        "method",
        "n_rows",
        "time (s)",
        "rows/s",
        "peak extra MB",
        "MB per 10^5 rows",
        "output MB",
    ]
    return markdown_table(header, rows)


def _two_largest(results, label):
    measured = sorted((int(n), r) for n, r in results.get(label, {}).items() if "time" in r)
    return measured[-2:] if len(measured) >= 2 else None


def memory_verdict(pair, batch):
    """How the memory beyond the output grows between two sizes, and its marginal cost."""
    (n1, r1), (n2, r2) = pair
    beyond1 = r1["extra_mb"] - r1["output_mb"]
    beyond2 = r2["extra_mb"] - r2["output_mb"]
    per_row = (beyond2 - beyond1) * 2**20 / (n2 - n1)
    if beyond2 - beyond1 <= NOISE_MB:
        return "flat (batched)", per_row
    if batch is not None and n1 < batch:
        return f"inconclusive: {n1:.0e} rows fill less than one batch ({batch} rows)", per_row
    return f"grows with the rows, ~{per_row:.0f} bytes per row", per_row


def growth(results, meta):
    """Per method: time exponent and memory between the two largest sizes measured."""
    rows = []
    for label, *_ in METHODS:
        pair = _two_largest(results, label)
        if pair is None:
            continue
        (n1, r1), (n2, r2) = pair
        batch = meta.get("batch_rows", {}).get(label)
        exponent = math.log(r2["time"] / r1["time"]) / math.log(n2 / n1)
        verdict, per_row = memory_verdict(pair, batch)
        rows.append(
            [
                label,
                "?" if batch is None else batch,
                f"{n1:.0e} -> {n2:.0e}",
                f"{exponent:.2f}",
                f"{r1['extra_mb'] - r1['output_mb']:.1f} -> {r2['extra_mb'] - r2['output_mb']:.1f}",
                f"{per_row:.0f}",
                verdict,
            ]
        )
    header = [
        "method",
        "rows per batch",
        "sizes",
        "time exponent (1 = linear)",
        "peak MB beyond the output",
        "marginal bytes per row",
        "memory",
    ]
    return markdown_table(header, rows)


def conclusion(results, meta):
    """Which methods scale linearly in time and keep their memory flat, from the numbers."""
    linear, superlinear, flat, growing, unclear, skipped = [], [], [], [], [], []
    for label, *_ in METHODS:
        if any("skipped" in r for r in results.get(label, {}).values()):
            skipped.append(label)
        pair = _two_largest(results, label)
        if pair is None:
            continue
        (n1, r1), (n2, r2) = pair
        exponent = math.log(r2["time"] / r1["time"]) / math.log(n2 / n1)
        if exponent < 1.2:
            linear.append(f"{label} ({exponent:.2f})")
        else:
            noisy = f"; its smaller time, {r1['time']:.2f} s, is noisy" if r1["time"] < 1 else ""
            superlinear.append(f"{label} ({exponent:.2f}{noisy})")
        verdict, per_row = memory_verdict(pair, meta.get("batch_rows", {}).get(label))
        beyond2 = r2["extra_mb"] - r2["output_mb"]
        if verdict.startswith("flat"):
            flat.append(f"{label} ({beyond2:.0f} MB at {n2:.0e} rows)")
        elif verdict.startswith("grows"):
            growing.append(f"{label} (~{per_row:.0f} bytes per row)")
        else:
            unclear.append(label)
    parts = [
        "**Conclusion (from the numbers above).** Time linear in the rows (exponent < 1.2): "
        + (", ".join(linear) or "none")
        + "."
    ]
    if superlinear:
        parts.append("Time exponent above 1.2: " + ", ".join(superlinear) + ".")
    parts.append(
        "Memory beyond the output flat in the rows (batched): " + (", ".join(flat) or "none") + "."
    )
    if growing:
        parts.append(
            f"Memory beyond the output growing with the rows (an input row is "
            f"{8 * AMBIENT_DIM} bytes): " + ", ".join(growing) + "."
        )
    if unclear:
        parts.append(
            "Not decided by these sizes (the smaller one fills less than a batch): "
            + ", ".join(unclear)
            + "."
        )
    if skipped:
        parts.append(
            "Sizes skipped for time (over the budget on one CPU thread): "
            + ", ".join(skipped)
            + "; the times shown for them are linear extrapolations from the largest size "
            "measured."
        )
    return " ".join(parts)


def render(results, meta):
    today = datetime.date.today().isoformat()
    fits = ", ".join(f"{name} {t:.0f} s" for name, t in meta["fit_times"].items())
    lines = [
        f"Date {today}; {MACHINE_NOTE}; `torch.set_num_threads({N_THREADS})`; one "
        "measurement at a time, each in a fresh spawned process. Models fitted once on "
        f"{N_TRAIN} points of make_lollipop in R^{AMBIENT_DIM}, noise {NOISE} (fit: {fits}): "
        + "; ".join(CONFIGS.values())
        + ". New rows: make_lollipop, another seed.",
        "",
        "Peak extra MB: peak resident memory during the call minus the resident memory "
        "before it, with the input rows already loaded (so it is beyond the input: "
        "10^6 x 10 float64 is 76 MB), output included (last column). "
        f"Sizes above {ALWAYS_RUN:.0e} run only when their time, extrapolated linearly from "
        f"the largest size measured, is under {meta['budget']:.0f} s; largest size "
        f"{meta['max_rows']:.0e} (`--max-rows` or `STRATA_BENCH_SCALE_MAX`; the budget: "
        "`--budget` or `STRATA_BENCH_SCALE_BUDGET`). Wall times on a shared machine are "
        "noisy (other jobs ran beside it).",
        "",
        result_rows(results),
        "",
        "### How the cost grows",
        "",
        growth(results, meta),
        "",
        "Between the two largest sizes measured: the time exponent is the slope of log time "
        "against log rows; the marginal bytes per row, the growth of the peak memory beyond "
        "the output divided by the added rows. Flat memory means the inference is batched: "
        "the activations of one batch, not of all rows, are alive at once. Growths under "
        f"{NOISE_MB} MB count as flat (the allocator's run-to-run noise is ~±25 MB).",
    ]
    if meta.get("remeasured"):
        lines += [
            "",
            "Re-measured alone (`--only`), with the same seeds: "
            + "; ".join(f"{label} on {day}" for label, day in meta["remeasured"].items())
            + ".",
        ]
    lines += ["", conclusion(results, meta)]
    return "\n".join(lines)


# ------------------------------------------------------------------------------- main


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-rows",
        type=float,
        default=float(os.environ.get("STRATA_BENCH_SCALE_MAX", 10**6)),
        help="largest number of rows (default 1e6, env STRATA_BENCH_SCALE_MAX)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=float(os.environ.get("STRATA_BENCH_SCALE_BUDGET", 240)),
        help="run a size only if its predicted time is under this many seconds (default 240)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="re-measure only the methods whose label contains TEXT (repeatable), keeping "
        "the other results of the last run (benchmarks/.cache/scale_results.json)",
    )
    return parser.parse_args(argv)


def measure_method(label, model, method, params, sizes, budget, models_path, inputs):
    """Every size of one method, smallest first, skipping those predicted over budget."""
    out = {}
    rate = None
    for n_rows in sizes:
        if n_rows > ALWAYS_RUN and rate is not None and n_rows / rate > budget:
            predicted = n_rows / rate
            out[n_rows] = {"skipped": predicted}
            print(f"{label} n={n_rows:.0e}: skipped (predicted {predicted:.0f} s)", flush=True)
            continue
        task = {
            "models": str(models_path),
            "inputs": str(inputs),
            "model": model,
            "method": method,
            "params": params,
            "n_rows": n_rows,
        }
        res = run_fresh(task)
        out[n_rows] = res
        if "error" in res:
            print(f"{label} n={n_rows:.0e}: error {res['error']}", flush=True)
            break
        rate = n_rows / res["time"]
        print(
            f"{label} n={n_rows:.0e}: {res['time']:.2f} s, {rate:,.0f} rows/s, "
            f"peak extra {res['extra_mb']:.1f} MB (output {res['output_mb']:.1f} MB, "
            f"{res['peak_source']})",
            flush=True,
        )
    return out


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    torch.set_num_threads(N_THREADS)
    sizes = [n for n in SIZES if n <= args.max_rows]
    methods = [m for m in METHODS if not args.only or any(t in m[0] for t in args.only)]
    if not methods:
        raise SystemExit(f"--only {args.only} matches none of {[m[0] for m in METHODS]}")
    if args.only:
        if not RESULTS_JSON.exists():
            raise SystemExit(f"--only needs the results of a full run in {RESULTS_JSON}")
        saved = json.loads(RESULTS_JSON.read_text())
        results, meta = saved["results"], saved["meta"]
    else:
        results, meta = {}, {"budget": args.budget, "max_rows": max(sizes)}
    # The fitted models and the input rows live in a private temporary folder for the run
    # (not in benchmarks/.cache/, which other benchmarks clean up).
    workdir = tempfile.TemporaryDirectory(prefix="strata_bench_scale_")
    models_path = Path(workdir.name) / "models.pkl"
    inputs = Path(workdir.name) / "X.npy"
    fit_times, batch = fit_models(models_path)
    make_inputs(inputs, max(sizes))
    meta["batch_rows"] = batch
    if args.only:
        remeasured = meta.setdefault("remeasured", {})
        remeasured.update({m[0]: datetime.date.today().isoformat() for m in methods})
    else:
        meta["fit_times"] = fit_times
    for label, model, method, params in methods:
        results[label] = measure_method(
            label, model, method, params, sizes, args.budget, models_path, inputs
        )
        RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
        RESULTS_JSON.write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    workdir.cleanup()
    text = render(results, meta)
    print("\n" + text)
    write_section(HEADING, text)
    return results


if __name__ == "__main__":
    main()

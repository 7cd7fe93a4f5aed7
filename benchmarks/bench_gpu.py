"""Fit and inference throughput on a CUDA GPU against the CPU, 10^3 to 10^6 rows (issue #7).

A GPU machine here has no geomstats and no network, so the data travel with the command and
a run has three steps::

    python benchmarks/bench_gpu.py make-data DIR                   # lollipop draws, .npy
    python benchmarks/bench_gpu.py measure DIR OUT --device cuda   # on the GPU machine
    python benchmarks/bench_gpu.py measure DIR OUT_CPU --device cpu  # the CPU reference
    python benchmarks/bench_gpu.py record --gpu OUT/results.json [MORE.json ...] \\
        --cpu OUT_CPU/results.json --pickle OUT/cuda_models.pkl     # here, without CUDA

``measure`` fits the four estimators on 10^5 rows (the VAE mixture for 3 epochs: its time
per epoch is what grows with the rows), runs every inference method on 10^3 ... 10^6 new
rows, then fits the diffusion model and the VAE mixture (1 epoch) on 10^6 rows. A size runs
only if its time, extrapolated linearly from the largest size measured, is under
``--budget`` seconds; past ``--deadline`` seconds nothing new starts. Results are written to
``OUT/results.json`` after every measurement, so a run cut short keeps what it measured
(``--fits-only`` and ``--vae-only`` re-measure parts; ``record`` merges the runs, a later
one's figures replacing an earlier one's). On CUDA it also scans the rows per inference
batch (``CUDA_BATCH_FACTOR``) and pickles small CUDA-fitted models with their outputs;
``record`` loads that pickle where CUDA is absent, runs every method and compares. It
writes the "GPU against CPU" section of RESULTS.md and the raw figures to
``benchmarks/gpu_results.json``.
"""

import argparse
import datetime
import json
import math
import os
import pickle
import platform
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

HEADING = "## GPU against CPU (bench_gpu.py)"
N_TRAIN = 10**5
N_LARGE = 10**6
AMBIENT_DIM = 10
NOISE = 0.01
SIZES = (10**3, 10**4, 10**5, 10**6)
VAE_EPOCHS = 3
N_REFERENCE = 512
N_PICKLE_FIT = 5000
BATCH_FACTORS = (1, 4, 16, 64)
SCAN_ROWS = 10**5

INFERENCE = [
    ("ScoreDimensionEstimator.transform", "dimension", "transform"),
    ("ScoreDiffusionDensity.score_samples", "diffusion", "score_samples"),
    ("ScoreDiffusionDensity.sample", "diffusion", "sample"),
    ("StratumCounter.predict", "counter", "predict"),
    ("StratifiedVAEMixture.score_samples", "vae", "score_samples"),
    ("StratifiedVAEMixture.predict", "vae", "predict"),
    ("StratifiedVAEMixture.sample", "vae", "sample"),
]


# ---------------------------------------------------------------------------- data


def make_data(directory):
    """Training rows (float64) and new rows (float32, to travel light) of the lollipop."""
    from sklearn_strata.datasets import make_lollipop

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    X, _ = make_lollipop(N_TRAIN, ambient_dim=AMBIENT_DIM, noise=NOISE, random_state=0)
    np.save(directory / "train.npy", X)
    X_new, _ = make_lollipop(N_LARGE, ambient_dim=AMBIENT_DIM, noise=NOISE, random_state=1)
    np.save(directory / "new.npy", X_new.astype(np.float32))
    print(f"wrote {directory}/train.npy {X.shape} and new.npy {X_new.shape}")


# ---------------------------------------------------------------------- measuring


class Recorder:
    """Times calls on one device, keeps the results and writes them after each one."""

    def __init__(self, device, out, deadline):
        self.device = torch.device(device)
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.start = time.perf_counter()
        self.deadline = deadline
        self.results = {
            "device": device,
            "device_name": (
                torch.cuda.get_device_name(self.device)
                if self.device.type == "cuda"
                else platform.processor() or platform.machine()
            ),
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "cpu_count": os.cpu_count(),
            "date": datetime.date.today().isoformat(),
            "fit": {},
            "inference": {},
            "batch_scan": {},
        }

    def out_of_time(self):
        return time.perf_counter() - self.start > self.deadline

    def timed(self, function, *args):
        """``(result, seconds, peak GPU MB or None)`` of ``function(*args)``."""
        cuda = self.device.type == "cuda"
        if cuda:
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        start = time.perf_counter()
        result = function(*args)
        if cuda:
            torch.cuda.synchronize(self.device)
        seconds = time.perf_counter() - start
        peak = torch.cuda.max_memory_allocated(self.device) / 2**20 if cuda else None
        return result, seconds, peak

    def save(self):
        (self.out / "results.json").write_text(json.dumps(self.results, indent=1))


def _call(model, method, arg):
    if method == "sample":
        return model.sample(arg, random_state=0)
    return getattr(model, method)(arg)


def _note_fit(rec, name, n, seconds, peak, rows_per_second, detail):
    rec.results["fit"][f"{name}@{n}"] = {
        "estimator": name,
        "n_rows": n,
        "time": seconds,
        "gpu_peak_mb": peak,
        "rows_per_s": rows_per_second,
        "detail": detail,
    }
    rec.save()
    print(f"fit {name} on {n:.0e} rows: {seconds:.1f} s ({detail})", flush=True)


def fit_vae(rec, X, epochs):
    """Time a fit of the VAE mixture with the lollipop's latent dimensions [2, 1, 0]."""
    from sklearn_strata import StratifiedVAEMixture

    model = StratifiedVAEMixture(
        latent_dims=[2, 1, 0], max_epochs=epochs, device=str(rec.device), random_state=0
    )
    _, seconds, peak = rec.timed(lambda: model.fit(X))
    _note_fit(
        rec, "StratifiedVAEMixture", len(X), seconds, peak, epochs * len(X) / seconds,
        f"latent_dims [2, 1, 0], {epochs} epoch{'s' if epochs > 1 else ''} of "
        f"{model.batch_size}-row steps",
    )


def fit_models(rec, X, full=True, vae_only=False):
    """The four estimators fitted on ``X`` (only two unless ``full``); times in ``rec``."""
    from sklearn_strata import (
        ScoreDiffusionDensity,
        ScoreDimensionEstimator,
        StratifiedVAEMixture,
        StratumCounter,
    )

    device = str(rec.device)
    n = X.shape[0]
    steps = {}

    def note(name, seconds, peak, rows_per_second, detail):
        _note_fit(rec, name, n, seconds, peak, rows_per_second, detail)

    if vae_only:
        fit_vae(rec, X, epochs=VAE_EPOCHS if full else 1)
        return {}
    diffusion, seconds, peak = rec.timed(
        lambda: ScoreDiffusionDensity(device=device, random_state=0).fit(X)
    )
    epochs = len(diffusion.net_.history)
    steps["diffusion"] = epochs * math.ceil(n / diffusion.batch_size)
    note(
        "ScoreDiffusionDensity",
        seconds,
        peak,
        epochs * n / seconds,
        f"max_epochs='auto': {epochs} epochs, {steps['diffusion']} steps of "
        f"{diffusion.batch_size} rows",
    )
    models = {"diffusion": diffusion}
    if not full:
        fit_vae(rec, X, epochs=1)
        return models
    dimension, seconds, peak = rec.timed(
        lambda: ScoreDimensionEstimator(diffusion, random_state=0).fit(X)
    )
    note("ScoreDimensionEstimator", seconds, peak, n / seconds, "on the fitted diffusion model")
    counter, seconds, peak = rec.timed(lambda: StratumCounter(dimension).fit(X))
    note(
        "StratumCounter",
        seconds,
        peak,
        n / seconds,
        f"{counter.n_strata_} strata of dims {[int(d) for d in counter.strata_dims_]}",
    )
    vae = StratifiedVAEMixture(
        stratum_counter=counter, max_epochs=VAE_EPOCHS, device=device, random_state=0
    )
    fit_vae(rec, X, epochs=VAE_EPOCHS)
    vae.fit(X)  # the model measured above, with its latent dimensions from the counter
    models.update(dimension=dimension, counter=counter, vae=vae)
    return models


def measure_inference(rec, models, X_new, budget, methods=None):
    """Every inference method on growing sizes, skipping those predicted over ``budget``."""
    for label, model, method in INFERENCE:
        if methods and not any(text in label for text in methods):
            continue
        out = rec.results["inference"].setdefault(label, {})
        _call(models[model], method, 64 if method == "sample" else X_new[:64])  # warm-up
        rate = None
        for n in SIZES:
            if rec.out_of_time():
                out[str(n)] = {"skipped": "deadline"}
                continue
            if method != "sample" and n > len(X_new):
                continue
            if rate is not None and n / rate > budget:
                out[str(n)] = {"skipped": f"predicted {n / rate:.0f} s"}
                print(f"{label} {n:.0e}: skipped (predicted {n / rate:.0f} s)", flush=True)
                continue
            arg = n if method == "sample" else X_new[:n]
            _, seconds, peak = rec.timed(_call, models[model], method, arg)
            rate = n / seconds
            out[str(n)] = {"time": seconds, "rows_per_s": rate, "gpu_peak_mb": peak}
            rec.save()
            print(f"{label} {n:.0e}: {seconds:.2f} s, {rate:,.0f} rows/s", flush=True)


def scan_batch_factor(rec, models, X_new):
    """Rows per inference batch on CUDA: time of three methods at each factor."""
    from sklearn_strata.utils import _torch

    default = _torch.CUDA_BATCH_FACTOR
    cases = [INFERENCE[0], INFERENCE[1], INFERENCE[2], INFERENCE[4]]
    try:
        for factor in BATCH_FACTORS:
            _torch.CUDA_BATCH_FACTOR = factor
            for label, model, method in cases:
                if rec.out_of_time():
                    return
                n = SCAN_ROWS if method != "score_samples" or model != "diffusion" else 10**4
                arg = n if method == "sample" else X_new[:n]
                _, seconds, peak = rec.timed(_call, models[model], method, arg)
                rec.results["batch_scan"].setdefault(label, {})[str(factor)] = {
                    "n_rows": n,
                    "time": seconds,
                    "rows_per_s": n / seconds,
                    "gpu_peak_mb": peak,
                }
                rec.save()
                print(f"scan x{factor} {label} {n:.0e}: {seconds:.2f} s", flush=True)
    finally:
        _torch.CUDA_BATCH_FACTOR = default
        rec.results["default_batch_factor"] = default


def reference_outputs(models, X_ref):
    """Outputs of every inference method on ``X_ref``, to compare after a reload."""
    return {
        label: _call(models[model], method, len(X_ref) if method == "sample" else X_ref)
        for label, model, method in INFERENCE
    }


def pickle_models(device, X, X_ref, path):
    """Small models fitted on ``device`` (a few epochs), pickled with their outputs."""
    from sklearn_strata import (
        ScoreDiffusionDensity,
        ScoreDimensionEstimator,
        StratifiedVAEMixture,
        StratumCounter,
    )

    diffusion = ScoreDiffusionDensity(max_epochs=2, device=device, random_state=0).fit(X)
    dimension = ScoreDimensionEstimator(diffusion, random_state=0).fit(X)
    counter = StratumCounter(dimension).fit(X)
    vae = StratifiedVAEMixture(
        stratum_counter=counter, max_epochs=2, device=device, random_state=0
    ).fit(X)
    models = {"diffusion": diffusion, "dimension": dimension, "counter": counter, "vae": vae}
    outputs = reference_outputs(models, X_ref)
    with open(path, "wb") as handle:
        pickle.dump({"models": models, "X_ref": X_ref, "outputs": outputs}, handle)


def measure(
    directory,
    out,
    device,
    budget,
    deadline,
    fits_only=False,
    vae_only=False,
    pickle_only=False,
    methods=None,
    large_fit=True,
):
    rec = Recorder(device, out, deadline)
    print(json.dumps({k: v for k, v in rec.results.items() if not isinstance(v, dict)}))
    directory = Path(directory)
    X = np.load(directory / "train.npy")
    X_new = np.load(directory / "new.npy").astype(np.float64)
    if pickle_only:
        pickle_models(device, X[:N_PICKLE_FIT], X_new[:N_REFERENCE], rec.out / "cuda_models.pkl")
        return
    if vae_only:
        fit_models(rec, X, vae_only=True)
        fit_models(rec, X_new, full=False, vae_only=True)
        rec.save()
        return
    models = fit_models(rec, X)
    if rec.device.type == "cuda":
        pickle_models(device, X[:N_PICKLE_FIT], X_new[:N_REFERENCE], rec.out / "cuda_models.pkl")
        if not fits_only:
            scan_batch_factor(rec, models, X_new)
    if not fits_only:
        measure_inference(rec, models, X_new, budget, methods)
    if large_fit and not rec.out_of_time():
        fit_models(rec, X_new, full=False)
    rec.results["total_time"] = time.perf_counter() - rec.start
    rec.save()


# ---------------------------------------------------------------------- recording


def _rate(res):
    return f"{res['rows_per_s']:,.0f}" if "rows_per_s" in res else "-"


def _time(res):
    if "time" not in res:
        return f"skipped ({res.get('skipped', 'not run')})"
    return f"{res['time']:.2f}" if res["time"] < 100 else f"{res['time']:.0f}"


def _speedup(gpu, cpu):
    if "time" in gpu and "time" in cpu:
        return f"{cpu['time'] / gpu['time']:.1f}x"
    if "time" in gpu and "rows_per_s" not in cpu:
        return "-"
    return "-"


def check_cuda_pickle(path):
    """Load the CUDA-fitted models here and compare every method with the GPU's outputs."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with open(path, "rb") as handle:
            saved = pickle.load(handle)
    messages = sorted({f"{w.category.__name__}: {str(w.message)[:90]}" for w in caught})
    models, X_ref, gpu = saved["models"], saved["X_ref"], saved["outputs"]
    rows = []
    for label, model, method in INFERENCE:
        here = _call(models[model], method, len(X_ref) if method == "sample" else X_ref)
        there = gpu[label]
        if isinstance(here, tuple):
            here, there = here[0], there[0]
        if method in ("predict", "transform"):
            agreement = f"{np.mean(np.asarray(here) == np.asarray(there)):.4f} equal"
        elif method == "sample":
            agreement = (
                f"shape {here.shape}, finite {bool(np.isfinite(here).all())}; column means "
                f"differ by at most {np.abs(here.mean(0) - there.mean(0)).max():.3f} "
                "(other draws: CPU and CUDA generators differ)"
            )
        else:
            diff = np.abs(here - there)
            agreement = (
                f"abs difference: max {diff.max():.1e}, median {np.median(diff):.1e} (values "
                f"{np.median(there):.1f} in the median, {there.min():.1f} at the lowest)"
            )
        rows.append([label, agreement])
    devices = [f"{name} {m.device_}" for name, m in models.items() if hasattr(m, "device_")]
    return rows, messages, devices


def merge_results(paths):
    """The results of several runs, a later run's measurement replacing an earlier one's."""
    merged = None
    for path in paths:
        run = json.loads(Path(path).read_text())
        if merged is None:
            merged = run
            continue
        for key, value in run.items():
            if key == "inference":
                for label, sizes in value.items():
                    merged[key].setdefault(label, {}).update(sizes)
            elif isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif key != "date":
                merged[key] = value
        merged["dates"] = sorted({merged.get("date"), run.get("date")} - {None})
    return merged


def _largest_rate(sizes):
    measured = [(int(n), r) for n, r in sizes.items() if "rows_per_s" in r]
    return max(measured)[1]["rows_per_s"] if measured else None


def conclusion(gpu, cpu):
    """Speed-ups read off the tables: rates at the largest size each device measured."""
    inference = []
    for label, sizes in gpu["inference"].items():
        fast, slow = _largest_rate(sizes), _largest_rate(cpu["inference"].get(label, {}))
        if fast and slow:
            inference.append((fast / slow, label))
    fits = [
        (cpu["fit"][key]["time"] / res["time"], f"{res['estimator']} at {res['n_rows']:.0e}")
        for key, res in gpu["fit"].items()
        if key in cpu["fit"]
    ]
    text = ", ".join(f"{label} {ratio:.1f}x" for ratio, label in sorted(inference, reverse=True))
    fit_text = ", ".join(f"{label} {ratio:.1f}x" for ratio, label in sorted(fits, reverse=True))
    return (
        "**Conclusion (from the tables).** Inference, GPU rows/s over CPU rows/s at the "
        f"largest size each measured: {text}. Fits, CPU time over GPU time: {fit_text}. "
        "Where a fit is near 1x or below, a training step is bound by its per-step overhead "
        "(Python, skorch's callbacks, kernel launches of small layers), not by arithmetic."
    )


def record(gpu_paths, cpu_paths, pickle_path=None, notes=()):
    from benchmarks._cases import BENCH_DIR, markdown_table, write_section

    gpu = merge_results(gpu_paths)
    cpu = merge_results(cpu_paths) if cpu_paths else None
    (BENCH_DIR / "gpu_results.json").write_text(
        json.dumps({"gpu": gpu, "cpu": cpu}, indent=1) + "\n"
    )
    fit_rows = []
    for key, res in gpu["fit"].items():
        ref = (cpu or {}).get("fit", {}).get(key, {})
        fit_rows.append([
            res["estimator"], f"10^{round(math.log10(res['n_rows']))}", res["detail"],
            _time(res), f"{res['gpu_peak_mb']:.0f}" if res["gpu_peak_mb"] else "-",
            _time(ref) if ref else "not run", _speedup(res, ref) if ref else "-",
        ])
    inf_rows = []
    for label, sizes in gpu["inference"].items():
        for n, res in sizes.items():
            ref = (cpu or {}).get("inference", {}).get(label, {}).get(n, {})
            inf_rows.append([
                label, f"10^{round(math.log10(int(n)))}", _time(res), _rate(res),
                f"{res['gpu_peak_mb']:.0f}" if res.get("gpu_peak_mb") else "-",
                _time(ref) if ref else "not run", _rate(ref) if ref else "-",
                _speedup(res, ref) if ref else "-",
            ])
    scan_rows = [
        [label, f"{next(iter(f.values()))['n_rows']:.0e}"]
        + [f"{f[str(k)]['rows_per_s']:,.0f} ({f[str(k)]['gpu_peak_mb']:.0f} MB)"
           if str(k) in f else "-" for k in BATCH_FACTORS]
        for label, f in gpu["batch_scan"].items()
    ]
    cpu_note = (
        f"CPU: {cpu['device_name']}, {cpu['cpu_count']} cores, torch {cpu['torch']} on "
        f"{cpu['torch_threads']} threads, {cpu['date']}"
        if cpu else "CPU: not run"
    )
    lines = [
        f"GPU: {gpu['device_name']} ({gpu['cpu_count']} CPU cores beside it), torch "
        f"{gpu['torch']}, {gpu['date']}. {cpu_note}. Data: make_lollipop in R^{AMBIENT_DIM}, "
        f"noise {NOISE}; fits on 10^5 rows (seed 0) and on 10^6 new rows (seed 1, also the "
        "rows of the inference calls). Default parameters except `device` and, for the VAE "
        f"mixture, `max_epochs` ({VAE_EPOCHS} at 10^5 rows, 1 at 10^6: its default 300 epochs "
        "cost 300/3 times the 10^5 time). Times are wall seconds including the transfers to "
        "and from the GPU; GPU MB is `torch.cuda.max_memory_allocated` during the call. "
        "Sizes run only while their extrapolated time is under the budget."
        + "".join(f" {note}" for note in notes),
        "",
        "### Fit",
        "",
        markdown_table(
            ["estimator", "rows", "what", "GPU s", "GPU MB", "CPU s", "GPU speed-up"], fit_rows
        ),
        "",
        "### Inference",
        "",
        markdown_table(
            ["method", "rows", "GPU s", "GPU rows/s", "GPU MB", "CPU s", "CPU rows/s",
             "GPU speed-up"],
            inf_rows,
        ),
    ]
    if cpu:
        lines += ["", conclusion(gpu, cpu)]
    if scan_rows:
        lines += [
            "",
            "### Rows per inference batch on CUDA",
            "",
            "Rows per second (peak GPU MB) when a CUDA batch holds k times the rows of a CPU "
            f"batch; the default is k = {gpu.get('default_batch_factor', '?')} "
            "(`sklearn_strata.utils._torch.CUDA_BATCH_FACTOR`).",
            "",
            markdown_table(["method", "rows"] + [f"k = {k}" for k in BATCH_FACTORS], scan_rows),
        ]
    if pickle_path is not None and not torch.cuda.is_available():
        rows, messages, devices = check_cuda_pickle(pickle_path)
        lines += [
            "",
            "### CUDA-fitted models loaded on a machine without CUDA",
            "",
            f"The four estimators fitted on the GPU ({N_PICKLE_FIT} rows, 2 epochs: the "
            "check is of loading, not of quality) were pickled there and loaded here "
            "(torch.cuda.is_available() False); devices after loading: "
            f"{', '.join(devices)}. Warnings while loading: "
            + ("; ".join(messages) if messages else "none")
            + f". Outputs on {N_REFERENCE} rows against the GPU's:",
            "",
            markdown_table(["method", "here against the GPU"], rows),
        ]
    body = "\n".join(lines)
    write_section(HEADING, body)
    print(body)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("make-data")
    p.add_argument("directory")
    p = sub.add_parser("measure")
    p.add_argument("directory")
    p.add_argument("out")
    p.add_argument("--device", default="cuda")
    p.add_argument("--budget", type=float, default=120.0)
    p.add_argument("--deadline", type=float, default=480.0)
    p.add_argument("--fits-only", action="store_true", help="measure the fits alone")
    p.add_argument("--vae-only", action="store_true", help="measure the VAE fits alone")
    p.add_argument("--pickle-only", action="store_true", help="only pickle small models")
    p.add_argument("--methods", nargs="+", help="inference methods whose label has TEXT")
    p.add_argument("--no-large-fit", action="store_true", help="no fits on 10^6 rows")
    p = sub.add_parser("record")
    p.add_argument("--gpu", nargs="+", required=True, help="results.json of the GPU runs")
    p.add_argument("--cpu", nargs="+", help="results.json of the CPU runs")
    p.add_argument("--pickle", help="cuda_models.pkl of a GPU run, loaded here")
    p.add_argument("--note", action="append", default=[], help="a sentence for the section")
    args = parser.parse_args(argv)
    if args.step == "make-data":
        make_data(args.directory)
    elif args.step == "measure":
        measure(args.directory, args.out, args.device, args.budget, args.deadline, args.fits_only,
                args.vae_only, args.pickle_only, args.methods, not args.no_large_fit)
    else:
        record(args.gpu, args.cpu, args.pickle, args.note)


if __name__ == "__main__":
    main()

"""Reliability benchmark: accuracy of the local dimensions and the confidence's calibration.

Run from the repository root::

    python benchmarks/bench_reliability.py [case ...]

Per case of ``_cases.py`` (old and new presets): the default ``ScoreDimensionEstimator``
(the score model cached by this script or ``bench_dimension.py`` when there is one,
read again by the current code, else a fresh fit, then cached), its accuracy (fraction
of exact per-point dimensions), whether the field was judged reliable as a whole, the
denoising gain, the fraction of points it calls reliable (confidence >= 0.5), the
accuracy of those points and of the rest, the points whose dimension came from the
neighbor-distance reference, and the warnings of the fit. Results are printed and
written to the "Reliability" section of RESULTS.md.

``python benchmarks/bench_reliability.py --noisy [case ...]`` does the same on every
preset geometry at noise 0.01 and 0.05 (the cases of ``bench_density.py --all-presets``,
whose cached score models it reads) and writes the "Reliability on noisy presets"
section.
"""

import sys
import time
import warnings
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

from benchmarks._cases import (
    CACHE_DIR,
    MACHINE_NOTE,
    cache_path,
    dump_pickle,
    load_pickle,
    make_case,
    markdown_table,
    read_again,
    select_cases,
    write_section,
)
from sklearn_strata import ScoreDimensionEstimator
from sklearn_strata.diffusion._budget import TARGET_TRAIN_STEPS
from sklearn_strata.utils import spawn_seeds

HEADING = "## Reliability (bench_reliability.py)"


def fit_recording_warnings(X, cached=None):
    """A fresh fit, or ``cached`` read again (:func:`read_again`); time and warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        if cached is None:
            est = ScoreDimensionEstimator(random_state=0).fit(X)
        else:
            est = read_again(cached, X)
        fit_time = time.perf_counter() - start
    messages = [str(w.message) for w in caught if w.category is UserWarning]
    warned = "; ".join(message.split(":")[0][:60] for message in messages) or "none"
    return est, fit_time, warned


def fitted(name, X):
    """The estimator of a case, its fit time and warnings.

    A cached fit (from this script or ``bench_dimension.py``) gives its trained score
    model, which today's code reads again (:func:`read_again`); the fit time is the
    cached one.
    """
    path = cache_path(name)
    if path.exists():
        cached = load_pickle(path)
        est, fit_time = cached[:2]
        est, _, warned = fit_recording_warnings(X, est)
        return est, fit_time, warned
    est, fit_time, warned = fit_recording_warnings(X)
    dump_pickle((est, fit_time, warned), path)
    return est, fit_time, warned


def stratum_means(dimensions, labels, true):
    """``d: mean`` of the estimates on each stratum, in the order of the labels."""
    return " ".join(
        f"{true[labels == label][0]:.0f}: {dimensions[labels == label].mean():.2f}"
        for label in np.unique(labels)
    )


def share(mask, values):
    return f"{values[mask].mean():.3f}" if mask.any() else "-"


def reliability_row(name, est, y, true, fit_time, warned):
    """One row of the table: accuracy, the confidence's calibration and the warnings."""
    correct = est.dimension_pw_ == true
    confident = est.dimension_confidence_ >= 0.5
    from_reference = (est.dimension_confidence_ == 0) & (
        est.dimension_pw_ == np.round(est.reference_dimension_pw_)
    ) & ~est.field_reliable_
    reference_correct = np.round(est.reference_dimension_pw_) == true
    return [
        name,
        f"{correct.mean():.3f}",
        f"{reference_correct.mean():.3f}",
        str(est.field_reliable_),
        f"{est.denoising_gain_:.2f}",
        f"{confident.mean():.3f}",
        share(confident, correct),
        share(~confident, correct),
        f"{from_reference.mean():.3f}",
        stratum_means(est.dimension_pw_, y, true),
        f"{fit_time:.0f} ({est.score_model_.n_training_stages_})",
        warned,
    ]


HEADER = [
    "case", "accuracy", "reference accuracy", "field reliable", "denoising gain",
    "reliable share", "accuracy of reliable", "accuracy of the rest", "from reference",
    "mean per stratum (d: ours)", "fit (s) (training stages)", "fit warnings",
]
COLUMNS_NOTE = (
    "*Reliable* points have `dimension_confidence_ >= 0.5`; *from reference* counts the "
    "points whose dimension came from the neighbor-distance reference (the field judged "
    "unreliable and collapsed there); *mean per stratum* is the mean of our estimates over "
    "the points of each stratum (the measure for strata above 10 dimensions, where every "
    "estimator reads low); *reference accuracy* is that of the reference alone "
    "(`reference_dimension_pw_` rounded: TwoNN pooled over each point's 50 nearest "
    "neighbors, calibrated for the sample size)."
)


def main(argv=None):
    torch.set_num_threads(1)
    names = sys.argv[1:] if argv is None else list(argv)
    if "--noisy" in names:
        return main_noisy([n for n in names if n != "--noisy"])
    rows = []
    for case in select_cases(names):
        name = case[0]
        X, y, true, _ = make_case(case)
        est, fit_time, warned = fitted(name, X)
        row = reliability_row(name, est, y, true, fit_time, warned)
        print(" | ".join(row), flush=True)
        rows.append(row)
    body = (
        f"Default `ScoreDimensionEstimator(random_state=0)`, n={X.shape[0]} per case, "
        f"{MACHINE_NOTE}. {COLUMNS_NOTE}\n\n" + markdown_table(HEADER, rows)
    )
    write_section(HEADING, body)


def full_model(name, X):
    """The default ScoreDimensionEstimator's own score model of ``X`` (cached), and its
    fit time: trained in full, without the held-out check of the density benchmark's."""
    path = CACHE_DIR / f"full_score_model_{name}_n{X.shape[0]}.pkl"
    if path.exists():
        return load_pickle(path)
    start = time.perf_counter()
    model = ScoreDimensionEstimator(random_state=0)._default_model(
        spawn_seeds(0, 3)[0]
    ).fit(X)
    result = (model, time.perf_counter() - start)
    dump_pickle(result, path)
    return result


NOISY_HEADING = "## Reliability on noisy presets (bench_reliability.py --noisy)"


def main_noisy(names):
    """Every preset geometry at noise 0.01 and 0.05: the cases of ``bench_density.py
    --all-presets``, read from its cached score models (trained on the same 75% split)."""
    from sklearn.model_selection import train_test_split

    from benchmarks.bench_density import N_SAMPLES as DENSITY_N
    from benchmarks.bench_density import all_preset_cases, score_models

    cases = all_preset_cases()
    known = {case[0]: case for case in cases}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown case(s) {unknown}; known: {sorted(known)}")
    rows = []
    for name, maker, ambient_dim, noise, _ in [known[n] for n in names] if names else cases:
        X, y, space = maker(DENSITY_N, ambient_dim=ambient_dim, noise=noise,
                            random_state=0, return_space=True)
        X_train, _, y_train, _ = train_test_split(X, y, test_size=0.25, random_state=0)
        density, fit_time, _ = score_models(name, X_train)
        if density.n_iter_ < density._epochs_for(TARGET_TRAIN_STEPS, X_train.shape[0]):
            # The held-out check shortened the density's training (sparse data); the
            # default ScoreDimensionEstimator trains its own model in full.
            density, fit_time = full_model(name, X_train)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est = ScoreDimensionEstimator(density, random_state=0).fit(X_train)
        messages = [str(w.message) for w in caught if w.category is UserWarning]
        warned = "; ".join(message.split(":")[0][:60] for message in messages) or "none"
        true = space.pointwise_dimension(y_train)
        row = reliability_row(name, est, y_train, true, fit_time, warned)
        print(" | ".join(row), flush=True)
        rows.append(row)
    body = (
        f"Default `ScoreDimensionEstimator(random_state=0)` on every preset geometry at noise "
        f"0.01 and 0.05: the training split ({len(X_train)} points) of `bench_density.py "
        f"--all-presets`, reading its cached default `ScoreDiffusionDensity(random_state=0)` "
        "(where that model's held-out check shortened its training, on sparse data, the "
        "estimator's own default model instead, trained in full); "
        f"{MACHINE_NOTE}; *fit (s)* is the score model's training. {COLUMNS_NOTE} The field "
        "cannot read every noisy case right (curved surfaces with noise 0.05 read 3 at most "
        "levels); what matters here is that the points it calls reliable are right and that "
        "`fit` warns where most are not.\n\n" + markdown_table(HEADER, rows)
    )
    write_section(NOISY_HEADING, body)


if __name__ == "__main__":
    main()

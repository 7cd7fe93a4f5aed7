"""``sklearn-strata analyze``: strata and local dimensions of a point cloud stored in a file.

:func:`load_data` reads ``.npy``, ``.csv``, ``.tsv`` and ``.txt`` files and explains what is
wrong with a file it cannot use (:class:`DataError`); :func:`run_analysis` fits a
:class:`~sklearn_strata.StratumCounter` on the points and writes its findings to a folder.
"""

import csv
import time
from pathlib import Path

import numpy as np

MIN_SAMPLES = 20
"""Fewest points (rows) :func:`run_analysis` accepts."""

_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"
# extension -> delimiter of text files ("auto": sniffed from the first data line, None:
# whitespace); ".npy" is binary
_EXTENSIONS = {".npy": "npy", ".csv": "auto", ".tsv": "\t", ".txt": None}
_REPORT = "report.txt"
_POINTS = "points.csv"
_MODEL = "model.joblib"


class DataError(ValueError):
    """A data file that cannot be analysed; the message says why, in one line."""


def load_data(path):
    """Read a point cloud from a ``.npy``, ``.csv``, ``.tsv`` or ``.txt`` file.

    ``.npy`` files are read with ``np.load(allow_pickle=False)`` and must hold a numeric
    2-D array. Text files hold one point per line; ``.csv`` values are separated by
    commas (or semicolons or tabs, detected from the first line), ``.tsv`` values by tabs
    and ``.txt`` values by commas or whitespace. An optional first line of column names
    (no number among them) is a header; blank lines and lines starting with ``#`` are
    skipped.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The points, as floats.
    columns : list of str or None
        Column names from the header of a text file, else None.

    Raises
    ------
    DataError
        If the file is missing, of an unknown type, empty, not numeric, ragged, has a
        single column, NaN or infinite values, fewer than ``MIN_SAMPLES`` rows, or all
        rows equal. The message names the file and, for text files, the line.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_strata._analyze import load_data
    >>> path = Path(tempfile.mkdtemp()) / "points.csv"
    >>> rows = "\\n".join(f"{i},{i % 7},{i % 3}" for i in range(30))
    >>> _ = path.write_text("x,y,z\\n" + rows + "\\n")
    >>> X, columns = load_data(path)
    >>> X.shape, columns
    ((30, 3), ['x', 'y', 'z'])
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path} is a directory, not a data file")
    extension = path.suffix.lower()
    if extension not in _EXTENSIONS:
        shown = f"'{path.suffix}'" if path.suffix else "no extension"
        raise DataError(
            f"{path}: unsupported file type ({shown}); use a .npy, .csv, .tsv or .txt file"
        )
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty")
    if extension == ".npy":
        X, columns, lines = _read_npy(path), None, None
    else:
        X, columns, lines = _read_text(path, _EXTENSIONS[extension])
    return _check_points(X, path, lines), columns


def _read_npy(path):
    with open(path, "rb") as file:
        start = file.read(len(_NPY_MAGIC))
    if start.startswith(_ZIP_MAGIC):
        raise DataError(
            f"{path} is a .npz archive, not a .npy file; save one array with np.save"
        )
    if start != _NPY_MAGIC:
        raise DataError(f"{path} is not a NumPy .npy file (it lacks the .npy header)")
    try:
        X = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "Object arrays" in str(exc) or "pickled" in str(exc):
            raise DataError(
                f"{path} holds Python objects (dtype=object), not numbers; save a numeric "
                "array"
            ) from None
        raise DataError(f"{path} is a damaged .npy file: {_one_line(exc)}") from None
    except (EOFError, OSError) as exc:
        raise DataError(f"{path} is a damaged or truncated .npy file: {_one_line(exc)}") from None
    if X.dtype.kind not in "biuf":
        raise DataError(f"{path} holds non-numeric values (dtype {X.dtype}); save numbers")
    return X


def _number(field):
    """``float(field)``, or None for a field that is not a number."""
    try:
        return float(field)
    except ValueError:
        return None


def _sniff_delimiter(line):
    for delimiter in (",", ";", "\t"):
        if delimiter in line:
            return delimiter
    return ","


def _read_text(path, delimiter):
    """Points, header and the line number of every row of a delimited text file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(
            f"{path} is not a text file (it is not UTF-8); expected numbers separated by "
            "commas, tabs or spaces"
        ) from None
    numbered = [
        (number, line.strip())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise DataError(f"{path} is empty (no data lines)")
    if delimiter == "auto":
        delimiter = _sniff_delimiter(numbered[0][1])
    elif delimiter is None and "," in numbered[0][1]:
        delimiter = ","
    if delimiter is None:
        split = (line.split() for _, line in numbered)
    else:
        split = csv.reader((line for _, line in numbered), delimiter=delimiter)

    header, n_columns, first_line = None, None, None
    rows, lines = [], []
    for (number, _), fields in zip(numbered, split, strict=True):
        fields = [field.strip() for field in fields]
        values = [_number(field) for field in fields]
        if n_columns is None:
            n_columns, first_line = len(fields), number
            if all(value is None for value in values):
                header = fields
                continue
        if len(fields) != n_columns:
            reference = "the header" if header is not None else f"line {first_line}"
            raise DataError(
                f"{path}: line {number} has {len(fields)} values but {reference} has "
                f"{n_columns} (ragged rows)"
            )
        for column, (field, value) in enumerate(zip(fields, values, strict=True), start=1):
            if value is None:
                what = "a missing value" if field == "" else f"{field!r}, which is not a number"
                raise DataError(f"{path}: line {number}, column {column} has {what}")
        rows.append(values)
        lines.append(number)
    if not rows:
        raise DataError(f"{path} has a header line but no data rows")
    return np.array(rows, dtype=np.float64), header, lines


def _check_points(X, path, lines=None):
    """Check the shape and values of the loaded array; return it as float64."""
    if X.ndim == 0:
        raise DataError(f"{path} holds a single number, not a table of points")
    if X.size == 0:
        raise DataError(f"{path} is empty (an array of shape {X.shape})")
    if X.ndim > 2:
        raise DataError(
            f"{path} holds a {X.ndim}-D array of shape {X.shape}; expected a 2-D array of "
            "shape (n_samples, n_features)"
        )
    if X.ndim == 1 or X.shape[1] == 1:
        raise DataError(
            f"{path} has a single column: every point needs at least 2 coordinates "
            "(one point per row, one coordinate per column)"
        )
    X = np.asarray(X, dtype=np.float64)
    bad = ~np.isfinite(X)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        where = f"line {lines[row]}" if lines is not None else f"row {row}"
        count = int(bad.sum())
        raise DataError(
            f"{path} has {count} NaN or infinite value{'s' if count > 1 else ''} (the first at "
            f"{where}, column {column + 1}); remove or impute them"
        )
    if X.shape[0] < MIN_SAMPLES:
        raise DataError(
            f"{path} has {X.shape[0]} points (rows); the analysis needs at least {MIN_SAMPLES}"
        )
    if np.all(X == X[0]):
        raise DataError(f"{path}: all {X.shape[0]} points are identical; there is nothing to "
                        "analyse")
    return X


def _one_line(exc):
    return " ".join(str(exc).split())


def build_counter(*, device="cpu", seed=0, max_epochs="auto", verbose=False):
    """The unfitted pipeline of the analysis: a StratumCounter over score-field dimensions.

    Parameters
    ----------
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Device of the diffusion model.
    seed : int, default=0
        Seed of the diffusion model and of the dimension estimator.
    max_epochs : int or "auto", default="auto"
        Training passes of the diffusion model.
    verbose : bool, default=False
        Show the training progress bar.

    Returns
    -------
    counter : StratumCounter
        Unfitted.
    """
    from . import ScoreDiffusionDensity, ScoreDimensionEstimator, StratumCounter

    density = ScoreDiffusionDensity(
        max_epochs=max_epochs, device=device, random_state=seed, verbose=verbose
    )
    return StratumCounter(ScoreDimensionEstimator(density, random_state=seed))


def _dimension_counts(dimensions):
    values, counts = np.unique(dimensions.astype(int), return_counts=True)
    pairs = zip(values, counts, strict=True)
    return ", ".join(f"{count} of dimension {value}" for value, count in pairs)


def reliability_verdict(confidence):
    """A plain-language verdict on the per-point confidences of the local dimensions.

    Parameters
    ----------
    confidence : ndarray of shape (n_samples,)
        Confidence of every point's local dimension, in ``[0, 1]``.

    Returns
    -------
    verdict : str
        One sentence, starting with "reliable", "mostly reliable" or "UNRELIABLE".
    """
    from .dimension._confidence import RELIABLE

    share = float(np.mean(np.asarray(confidence) >= RELIABLE))
    counted = f"{share:.0%} of the points read cleanly and agree with their neighbors"
    if share >= 0.9:
        return f"reliable: {counted}."
    if share >= 0.5:
        return (
            f"mostly reliable: {counted}; the others (column 'confidence' below 0.5 in "
            "points.csv) lie mostly at junctions, edges and sparse places."
        )
    return (
        f"UNRELIABLE: only {counted}. The dimensions and strata below may be wrong: the "
        "score field was not learned finely enough for these data. Try more points, "
        "--max-epochs larger than the default, or read the confidence per point in "
        "points.csv."
    )


def format_report(counter, X, path, elapsed=None, confidence=None):
    """A short text report of a fitted StratumCounter.

    Parameters
    ----------
    counter : StratumCounter
        Fitted on ``X``.
    X : ndarray of shape (n_samples, n_features)
        The analysed points.
    path : str or path-like
        The data file, named in the report.
    elapsed : float, default=None
        Seconds the analysis took, reported when given.
    confidence : ndarray of shape (n_samples,), default=None
        Confidence of every point's local dimension; when given, the report says how far
        the dimensions can be trusted.

    Returns
    -------
    report : str
        Lines ending with a newline.
    """
    dimension_estimator = counter.dimension_estimator_
    score_model = dimension_estimator.score_model_
    labels = counter.labels_
    lines = [
        f"sklearn-strata analysis of {path}",
        f"  {X.shape[0]} points in R^{X.shape[1]}",
        f"  diffusion model on {score_model.device_}; noise level "
        f"{dimension_estimator.noise_level_:.4g}"
        + (" (chosen automatically)" if dimension_estimator.noise_level == "auto" else ""),
        f"  local dimensions: {_dimension_counts(counter.dimension_pw_)}",
    ]
    if confidence is not None:
        lines.append(f"  confidence: {reliability_verdict(confidence)}")
    lines.append(f"  strata found: {counter.n_strata_}")
    if counter.n_strata_:
        lines.append("    stratum  dimension  weight  points")
        for label in range(counter.n_strata_):
            lines.append(
                f"    {label:7d}  {int(counter.strata_dims_[label]):9d}  "
                f"{counter.weights_[label]:6.3f}  {int(np.sum(labels == label)):6d}"
            )
    lines.append(f"  junction points (stratum -1): {int(np.sum(labels == -1))}")
    if elapsed is not None:
        lines.append(f"  time: {elapsed:.1f} s")
    return "\n".join(lines) + "\n"


def write_points(path, counter, confidence):
    """Write ``index,stratum,dimension,confidence`` for every training point of a counter."""
    n = counter.labels_.shape[0]
    with open(path, "w", encoding="utf-8") as file:
        file.write("index,stratum,dimension,confidence\n")
        for i, label, dim, conf in zip(
            range(n), counter.labels_, counter.dimension_pw_, confidence, strict=True
        ):
            file.write(f"{i},{int(label)},{int(dim)},{conf:.3f}\n")


def save_plots(out, X, counter):
    """Save the four plots of the analysis as PNG files in ``out``.

    Parameters
    ----------
    out : path-like
        Existing folder.
    X : ndarray of shape (n_samples, n_features)
        The analysed points.
    counter : StratumCounter
        Fitted on ``X``.

    Returns
    -------
    paths : list of Path
        The files written; empty when matplotlib is not installed.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return []
    from .plotting import (
        plot_dimension_histograms,
        plot_noise_level_curve,
        plot_points,
    )

    out = Path(out)
    projection = "3d" if X.shape[1] >= 3 else None
    figures = {}

    figure = Figure(figsize=(6, 5))
    plot_points(X, counter.dimension_pw_, kind="dimension",
                ax=figure.add_subplot(projection=projection))
    figures["points_by_dimension.png"] = figure

    figure = Figure(figsize=(6, 5))
    plot_points(X, counter.labels_, kind="stratum", ax=figure.add_subplot(projection=projection))
    figures["points_by_stratum.png"] = figure

    if counter.dimension_estimator_.noise_level_curve_:
        figure = Figure(figsize=(6.5, 4))
        plot_noise_level_curve(counter, ax=figure.add_subplot())
        figures["noise_level_curve.png"] = figure

    n_panels = np.unique(counter.labels_).size
    n_columns = min(n_panels, 4)
    n_rows = -(-n_panels // n_columns)
    figure = Figure(figsize=(3.2 * n_columns, 2.8 * n_rows), layout="tight")
    axes = figure.subplots(n_rows, n_columns, squeeze=False).ravel()
    for extra in axes[n_panels:]:
        extra.set_visible(False)
    plot_dimension_histograms(counter, ax=axes[:n_panels])
    figures["dimension_histograms.png"] = figure

    paths = []
    for name, figure in figures.items():
        figure.savefig(out / name, dpi=120, bbox_inches="tight")
        paths.append(out / name)
    return paths


def run_analysis(
    path,
    out="strata_output",
    *,
    device="cpu",
    seed=0,
    max_epochs="auto",
    plots=True,
    quiet=False,
):
    """Find the strata and local dimensions of the points in a file; write the results.

    Fits a :class:`~sklearn_strata.StratumCounter` over a
    :class:`~sklearn_strata.ScoreDimensionEstimator` and a
    :class:`~sklearn_strata.ScoreDiffusionDensity` on the points, then writes to ``out``:

    - ``report.txt``: number of strata, their dimensions, weights and sizes (also printed);
    - ``points.csv``: ``index,stratum,dimension,confidence`` for every point (``index`` is its
      0-based data row in the file; stratum ``-1`` marks junction points);
    - ``model.joblib``: the fitted ``StratumCounter`` (``joblib.load`` it; its
      ``predict`` gives the stratum of new points);
    - with matplotlib: ``points_by_dimension.png``, ``points_by_stratum.png``,
      ``noise_level_curve.png`` and ``dimension_histograms.png``.

    Parameters
    ----------
    path : str or path-like
        The data file (see :func:`load_data`).
    out : str or path-like, default="strata_output"
        Output folder, created if needed.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Device of the diffusion model.
    seed : int, default=0
        Seed of the models.
    max_epochs : int or "auto", default="auto"
        Training passes of the diffusion model.
    plots : bool, default=True
        Save the plots (when matplotlib is installed).
    quiet : bool, default=False
        Print nothing.

    Returns
    -------
    result : dict
        ``"counter"`` (the fitted StratumCounter), ``"X"``, ``"report"`` (the text) and
        ``"files"`` (the paths written).

    Raises
    ------
    DataError
        If the file cannot be analysed.
    """
    from .utils import resolve_device

    def say(message):
        if not quiet:
            print(message, flush=True)

    start = time.perf_counter()
    resolved = resolve_device(device)  # fails early when CUDA is requested but missing
    X, _ = load_data(path)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DataError(f"--out {out} exists and is not a folder")
    say(f"sklearn-strata: {X.shape[0]} points in R^{X.shape[1]} from {path}; fitting on "
        f"{resolved} ...")
    counter = build_counter(device=device, seed=seed, max_epochs=max_epochs, verbose=not quiet)
    counter.fit(X)

    import joblib

    out.mkdir(parents=True, exist_ok=True)
    files = [out / _POINTS, out / _MODEL]
    confidence = counter.dimension_estimator_.confidence(X)
    write_points(files[0], counter, confidence)
    joblib.dump(counter, files[1])
    if plots:
        written = save_plots(out, X, counter)
        if not written:
            say("sklearn-strata: matplotlib is not installed, so no plots "
                "(pip install sklearn_strata[plot])")
        files.extend(written)
    report = format_report(
        counter, X, path, elapsed=time.perf_counter() - start, confidence=confidence
    )
    files.append(out / _REPORT)
    report += "  files: " + ", ".join(file.name for file in files) + f" in {out}\n"
    (out / _REPORT).write_text(report, encoding="utf-8")
    say(report.rstrip("\n"))
    return {"counter": counter, "X": X, "report": report, "files": files}

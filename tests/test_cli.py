"""Tests of the command line: ``sklearn-strata analyze`` (and that ``demo`` is still there)."""

import subprocess
import sys

import joblib
import numpy as np
import pytest

from sklearn_strata import StratumCounter, _analyze
from sklearn_strata._analyze import MIN_SAMPLES, DataError, load_data
from sklearn_strata._cli import main
from sklearn_strata.datasets import make_disjoint_circles

PLOTS = [
    "points_by_dimension.png",
    "points_by_stratum.png",
    "noise_level_curve.png",
    "dimension_histograms.png",
]


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _error_line(capsys):
    """The single line the command wrote on stderr."""
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("sklearn-strata: error: ")
    assert "Traceback" not in captured.err + captured.out
    return lines[0]


def _read_points(path):
    with open(path) as file:
        assert file.readline().strip() == "index,stratum,dimension,confidence"
    table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    confidence = table[:, 3]
    assert np.all((confidence >= 0) & (confidence <= 1))
    return table[:, :3].astype(int)


@pytest.fixture(scope="module")
def circles():
    X, y = make_disjoint_circles(300, ambient_dim=3, random_state=0)
    return X, y


@pytest.fixture
def tiny(monkeypatch):
    """Make the analysis fit a tiny diffusion model (the tests check plumbing, not accuracy)."""
    original = _analyze.build_counter

    def build_counter(**kwargs):
        counter = original(**kwargs)
        counter.dimension_estimator.score_model.set_params(hidden_width=16, n_blocks=1)
        return counter

    monkeypatch.setattr(_analyze, "build_counter", build_counter)


# ---------------------------------------------------------------------------------------------
# Help and arguments
# ---------------------------------------------------------------------------------------------


def test_module_help_in_a_subprocess():
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_strata", "analyze", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for option in ["DATA", "--out", "--device", "--seed", "--max-epochs", "--quiet"]:
        assert option in result.stdout


def test_help_lists_both_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "analyze" in out and "demo" in out


def test_demo_command_is_kept(capsys, monkeypatch):
    calls = []
    monkeypatch.setattr("sklearn_strata._demo.run_demo", lambda **kwargs: calls.append(kwargs))
    assert main(["demo", "--out", "somewhere", "--seed", "3", "--n-samples", "500"]) == 0
    assert main(["demo", "--threads", "1"]) == 0
    assert calls == [
        dict(out="somewhere", seed=3, n_samples=500, n_threads=None),
        dict(out="demo_output", seed=0, n_samples=2000, n_threads=1),
    ]


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["analyze"],
        ["analyze", "x.npy", "--seed", "-1"],
        ["analyze", "x.npy", "--seed", "one"],
        ["analyze", "x.npy", "--max-epochs", "0"],
        ["analyze", "x.npy", "--max-epochs", "many"],
        ["analyze", "x.npy", "--device", "tpu"],
        ["frobnicate"],
    ],
)
def test_invalid_arguments_exit_2(capsys, argv):
    assert main(argv) == 2
    assert "error:" in capsys.readouterr().err


def test_keyboard_interrupt_exits_130(capsys, monkeypatch, tmp_path):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_analyze, "run_analysis", interrupted)
    assert main(["analyze", str(tmp_path / "x.npy")]) == 130
    assert capsys.readouterr().err.strip() == "sklearn-strata: interrupted"


# ---------------------------------------------------------------------------------------------
# A real analysis
# ---------------------------------------------------------------------------------------------


def test_analyze_circles(circles, tmp_path, capsys):
    X, _ = circles
    data = tmp_path / "circles.npy"
    np.save(data, X)
    out = tmp_path / "out"
    status = main(["analyze", str(data), "--out", str(out), "--max-epochs", "2", "--seed", "0"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    np.testing.assert_array_equal(np.load(data), X)  # the input is untouched

    points = _read_points(out / "points.csv")
    assert points.shape == (X.shape[0], 3)
    np.testing.assert_array_equal(points[:, 0], np.arange(X.shape[0]))
    assert set(points[:, 2]) <= set(range(X.shape[1] + 1))

    model = joblib.load(out / "model.joblib")
    assert isinstance(model, StratumCounter)
    np.testing.assert_array_equal(model.labels_, points[:, 1])
    np.testing.assert_array_equal(model.dimension_pw_, points[:, 2])
    assert model.predict(X[:5]).shape == (5,)
    assert model.dimension_estimator_.score_model_.max_epochs == 2

    report = (out / "report.txt").read_text()
    assert report.strip() in captured.out
    assert f"{X.shape[0]} points in R^{X.shape[1]}" in report
    assert f"strata found: {model.n_strata_}" in report
    # Two epochs cannot learn the field: the report says so in plain words.
    assert "confidence: UNRELIABLE" in report
    for label in range(model.n_strata_):
        assert f"{model.weights_[label]:6.3f}" in report
    if _has_matplotlib():
        for name in PLOTS:
            assert (out / name).stat().st_size > 0, name


def test_analyze_csv_with_header_is_reproducible(circles, tmp_path, capsys, tiny):
    X, _ = circles
    data = tmp_path / "circles.csv"
    np.savetxt(data, X[:120], delimiter=",", header="x,y,z", comments="")
    outputs = []
    for run in ["a", "b"]:
        out = tmp_path / run
        argv = ["analyze", str(data), "--out", str(out), "--max-epochs", "2", "--seed", "7",
                "--quiet", "--no-plots", "--device", "auto"]
        assert main(argv) == 0
        outputs.append((out / "points.csv").read_text())
        assert not list(out.glob("*.png"))
    captured = capsys.readouterr()
    assert captured.out == ""  # --quiet
    assert outputs[0] == outputs[1]
    assert _read_points(tmp_path / "a" / "points.csv").shape == (120, 3)


def test_analyze_without_matplotlib(circles, tmp_path, capsys, monkeypatch, tiny):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    data = tmp_path / "circles.txt"
    np.savetxt(data, circles[0][:60])  # whitespace-separated
    out = tmp_path / "out"
    assert main(["analyze", str(data), "--out", str(out), "--max-epochs", "1"]) == 0
    assert "pip install sklearn_strata[plot]" in capsys.readouterr().out
    assert not list(out.glob("*.png"))
    assert (out / "report.txt").is_file() and (out / "model.joblib").is_file()


@pytest.mark.skipif(
    __import__("torch").cuda.is_available(), reason="checks the error when CUDA is missing"
)
def test_cuda_requested_without_cuda(circles, tmp_path, capsys):
    data = tmp_path / "circles.npy"
    np.save(data, circles[0])
    assert main(["analyze", str(data), "--device", "cuda", "--out", str(tmp_path)]) == 1
    assert "CUDA is not available" in _error_line(capsys)


# ---------------------------------------------------------------------------------------------
# Bad files: one line on stderr, exit status 1
# ---------------------------------------------------------------------------------------------


def _rows(n, n_columns=3):
    return np.arange(n * n_columns, dtype=float).reshape(n, n_columns) % 7


def _text(lines):
    return "\n".join(lines) + "\n"


_GOOD_CSV = [",".join(map(str, row)) for row in _rows(30)]


def _write(path, content):
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    else:  # an array for np.save
        np.save(path, content, allow_pickle=True)


BAD_FILES = {
    "empty_csv": ("data.csv", "", "is empty"),
    "empty_npy": ("data.npy", b"", "is empty"),
    "blank_and_comments": ("data.csv", "\n# a comment\n   \n", "is empty (no data lines)"),
    "header_only": ("data.csv", "x,y,z\n", "has a header line but no data rows"),
    "non_numeric": (
        "data.csv",
        _text(["x,y,z", *_GOOD_CSV[:3], "1.0,abc,2.0", *_GOOD_CSV[3:]]),
        "line 5, column 2 has 'abc', which is not a number",
    ),
    "missing_value": (
        "data.csv", _text([*_GOOD_CSV[:2], "1.0,,2.0", *_GOOD_CSV[2:]]),
        "line 3, column 2 has a missing value",
    ),
    "ragged": (
        "data.csv", _text([*_GOOD_CSV[:2], "1.0,2.0", *_GOOD_CSV[2:]]),
        "line 3 has 2 values but line 1 has 3 (ragged rows)",
    ),
    "ragged_after_header": (
        "data.txt", _text(["a b c", "1 2 3", "4 5 6 7"]),
        "line 3 has 4 values but the header has 3",
    ),
    "single_column_csv": ("data.csv", _text(["x", *map(str, range(30))]), "single column"),
    "single_column_npy": ("data.npy", np.arange(30.0), "single column"),
    "column_vector_npy": ("data.npy", np.arange(30.0)[:, None], "single column"),
    "nan_csv": (
        "data.csv", _text(["x,y,z", *_GOOD_CSV[:3], "1.0,nan,2.0", *_GOOD_CSV[3:]]),
        "has 1 NaN or infinite value (the first at line 5, column 2)",
    ),
    "inf_npy": ("data.npy", np.r_[_rows(29), [[0.0, 0.0, np.inf]]], "first at row 29, column 3"),
    "too_few_rows": ("data.csv", _text(_GOOD_CSV[:5]), f"needs at least {MIN_SAMPLES}"),
    "unknown_extension": ("data.xlsx", "1,2\n", "unsupported file type ('.xlsx')"),
    "no_extension": ("data", "1,2\n", "unsupported file type (no extension)"),
    "text_as_npy": ("data.npy", _text(_GOOD_CSV), "is not a NumPy .npy file"),
    "npz_as_npy": ("data.npy", None, "is a .npz archive"),
    "object_npy": ("data.npy", np.array([[1, "a"], [None, 2.0]], dtype=object), "Python objects"),
    "string_npy": ("data.npy", np.array([["1", "2"]] * 30), "non-numeric values (dtype <U1)"),
    "scalar_npy": ("data.npy", np.float64(3.0), "single number"),
    "three_d_npy": ("data.npy", np.zeros((30, 2, 2)), "3-D array of shape (30, 2, 2)"),
    "truncated_npy": ("data.npy", None, "damaged"),
    "identical_points": ("data.npy", np.ones((30, 3)), "all 30 points are identical"),
    "binary_csv": ("data.csv", bytes(range(128, 256)) * 4, "is not a text file"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_gives_one_error_line(tmp_path, capsys, case):
    name, content, message = BAD_FILES[case]
    path = tmp_path / name
    if case == "npz_as_npy":
        with open(path, "wb") as file:
            np.savez(file, X=_rows(30))
    elif case == "truncated_npy":
        np.save(path, _rows(30))
        path.write_bytes(path.read_bytes()[:-50])
    else:
        _write(path, content)
    out = tmp_path / "out"
    assert main(["analyze", str(path), "--out", str(out), "--max-epochs", "1"]) == 1
    line = _error_line(capsys)
    assert message in line
    assert str(path) in line
    assert not out.exists()  # nothing is written for a file that cannot be analysed


def test_missing_file(tmp_path, capsys):
    path = tmp_path / "nowhere.npy"
    assert main(["analyze", str(path)]) == 1
    assert _error_line(capsys) == f"sklearn-strata: error: {path}: no such file"


def test_directory(tmp_path, capsys):
    assert main(["analyze", str(tmp_path)]) == 1
    assert "is a directory" in _error_line(capsys)


def test_out_is_a_file(tmp_path, capsys):
    data = tmp_path / "data.npy"
    np.save(data, _rows(30))
    taken = tmp_path / "taken"
    taken.write_text("")
    assert main(["analyze", str(data), "--out", str(taken)]) == 1
    assert "exists and is not a folder" in _error_line(capsys)


# ---------------------------------------------------------------------------------------------
# load_data
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, text, columns",
    [
        ("data.csv", "x,y,z\n{rows}", ["x", "y", "z"]),
        ("data.csv", '"x","y","z"\n{rows}', ["x", "y", "z"]),
        ("data.csv", "# made by hand\n\n{rows}\n\n", None),
        ("data.csv", "{semicolons}", None),
        ("data.tsv", "a\tb\tc\n{tabs}", ["a", "b", "c"]),
        ("data.txt", "{spaces}", None),
        ("data.txt", "{rows}", None),
        ("DATA.CSV", "{rows}", None),
    ],
)
def test_load_data_text_formats(tmp_path, name, text, columns):
    X = _rows(25) / 4 - 0.5
    formatted = {
        sep_name: "\n".join(sep.join(repr(float(v)) for v in row) for row in X)
        for sep_name, sep in
        [("rows", ","), ("semicolons", ";"), ("tabs", "\t"), ("spaces", "  ")]
    }
    path = tmp_path / name
    path.write_text(text.format(**formatted))
    loaded, header = load_data(path)
    np.testing.assert_array_equal(loaded, X)
    assert loaded.dtype == np.float64
    assert header == columns


def test_load_data_npy_integers(tmp_path):
    path = tmp_path / "data.npy"
    np.save(path, _rows(25).astype(np.int32))
    X, columns = load_data(path)
    assert X.dtype == np.float64 and columns is None
    np.testing.assert_array_equal(X, _rows(25))


def test_data_error_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        load_data(tmp_path / "nothing.csv")
    assert issubclass(DataError, ValueError)

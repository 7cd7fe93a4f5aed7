"""Bad input to every public estimator: each gives a clear error or a correct result.

For ``fit`` and every method that takes new points, bad data raise a ``ValueError`` or
``TypeError`` whose message names the problem, raised by the validation (never from inside
torch); a failed ``fit`` leaves the estimator unfitted; and the caller's arrays are never
modified. Legitimate but unusual data (one feature, float32 or integer input, duplicated
points, constant features, values around 1e8, DataFrames) work and give finite outputs.
"""

import os
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from ._fast import (
    ESTIMATOR_NAMES,
    PREDICT_CASES,
    PREDICT_METHODS,
    make_estimator,
    training_data,
)

N_FEATURES = 3
X_TRAIN = training_data(n_features=N_FEATURES)
_FITTED = {}


def _fitted(name):
    """One fitted estimator per name, shared by the predict-time tests (never mutated)."""
    if name not in _FITTED:
        _FITTED[name] = make_estimator(name).fit(X_TRAIN)
    return _FITTED[name]


def _assert_not_from_torch(excinfo):
    """The error comes from the input validation, not from deep inside torch or skorch."""
    for entry in excinfo.traceback:
        path = str(entry.path)
        assert f"{os.sep}torch{os.sep}" not in path, path
        assert f"{os.sep}skorch{os.sep}" not in path, path


def _copy(X):
    if isinstance(X, pd.DataFrame) or sp.issparse(X):
        return X.copy()
    return np.array(X, copy=True)


def _assert_unchanged(X, X_copy):
    if isinstance(X, pd.DataFrame):
        pd.testing.assert_frame_equal(X, X_copy)
    elif sp.issparse(X):
        assert (X != X_copy).nnz == 0
    else:
        np.testing.assert_array_equal(X, X_copy)
        assert X.dtype == X_copy.dtype


def _assert_finite(out):
    out = np.asarray(out[0] if isinstance(out, tuple) else out, dtype=float)
    assert np.all(np.isfinite(out))


def _with_value(X, row, col, value):
    X = X.copy()
    X[row, col] = value
    return X


def _strings(n_features):
    return np.array([["a", "b", "c", "d"][:n_features]] * 20)


def _object_strings(n_features):
    X = X_TRAIN[:20, :n_features].astype(object)
    X[3, 0] = "a"
    return X


# (id, X of the given number of features, exception, message)
BAD_DATA = [
    ("nan", lambda d: _with_value(X_TRAIN[:, :d], 3, 0, np.nan), ValueError, "NaN"),
    ("inf", lambda d: _with_value(X_TRAIN[:, :d], 3, 0, np.inf), ValueError, "infinity"),
    ("-inf", lambda d: _with_value(X_TRAIN[:, :d], 3, 0, -np.inf), ValueError, "infinity"),
    ("empty", lambda d: np.empty((0, d)), ValueError, "0 sample"),
    ("no_features", lambda d: np.empty((20, 0)), ValueError, "0 feature"),
    ("1d", lambda d: X_TRAIN[:, 0], ValueError, "Expected 2D array"),
    ("3d", lambda d: X_TRAIN[:, :d, None], ValueError, "dim 3"),
    ("strings", _strings, ValueError, "could not convert string to float"),
    ("object_strings", _object_strings, ValueError, "could not convert string to float"),
    ("complex", lambda d: X_TRAIN[:, :d] + 1j, ValueError, "Complex data not supported"),
    ("sparse", lambda d: sp.csr_matrix(X_TRAIN[:, :d]), TypeError, "dense data is required"),
]
BAD_IDS = [case[0] for case in BAD_DATA]


# --- fit -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize("case", BAD_DATA, ids=BAD_IDS)
def test_fit_rejects_bad_data(name, case):
    _, make_X, error, match = case
    X = make_X(N_FEATURES)
    X_copy = _copy(X)
    estimator = make_estimator(name)
    with pytest.raises(error, match=match) as excinfo:
        estimator.fit(X)
    _assert_not_from_torch(excinfo)
    _assert_unchanged(X, X_copy)
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)


@pytest.mark.parametrize("name", ["diffusion", "dimension", "counter"])
def test_fit_needs_two_samples(name):
    with pytest.raises(ValueError, match="minimum of 2 is required") as excinfo:
        make_estimator(name).fit(X_TRAIN[:1])
    _assert_not_from_torch(excinfo)


def test_vae_fits_one_sample():
    # One point is a legitimate (degenerate) sample for a one-component mixture.
    vae = make_estimator("vae").fit(X_TRAIN[:1])
    _assert_finite(vae.score_samples(X_TRAIN[:5]))
    _assert_finite(vae.sample(3))


def test_vae_needs_a_sample_per_component():
    with pytest.raises(ValueError, match="n_samples=1 should be >= the number of components"):
        make_estimator("vae", latent_dims=[1, 2]).fit(X_TRAIN[:1])


@pytest.mark.parametrize("name", ["diffusion", "dimension", "counter"])
def test_fit_rejects_identical_points(name):
    # Every sample the same point: there is no distribution (or geometry) to learn.
    X = np.ones((20, N_FEATURES))
    with pytest.raises(ValueError, match="zero variance"):
        make_estimator(name).fit(X)


def test_vae_fits_identical_points():
    # The mixture falls back to unit scale and learns a point mass blurred by its noise.
    vae = make_estimator("vae").fit(np.ones((20, N_FEATURES)))
    _assert_finite(vae.score_samples(np.ones((3, N_FEATURES))))


# --- predict-time methods ----------------------------------------------------------------------


@pytest.mark.parametrize("name, method", PREDICT_CASES)
@pytest.mark.parametrize("case", BAD_DATA, ids=BAD_IDS)
def test_predict_rejects_bad_data(name, method, case):
    _, make_X, error, match = case
    X = make_X(N_FEATURES)
    X_copy = _copy(X)
    with pytest.raises(error, match=match) as excinfo:
        PREDICT_METHODS[name][method](_fitted(name), X)
    _assert_not_from_torch(excinfo)
    _assert_unchanged(X, X_copy)


@pytest.mark.parametrize("name, method", PREDICT_CASES)
@pytest.mark.parametrize("n_features", [1, N_FEATURES + 1])
def test_predict_rejects_other_number_of_features(name, method, n_features):
    X = training_data(10, n_features, seed=1)
    with pytest.raises(ValueError, match=f"X has {n_features} features, but .* is expecting 3"):
        PREDICT_METHODS[name][method](_fitted(name), X)


@pytest.mark.parametrize("name, method", PREDICT_CASES)
def test_predict_one_sample(name, method):
    estimator = _fitted(name)
    out = PREDICT_METHODS[name][method](estimator, X_TRAIN[:1])
    _assert_finite(out)
    if method != "score":
        assert np.shape(out)[0] == 1


# --- sample and score_field arguments ----------------------------------------------------------


@pytest.mark.parametrize("name", ["diffusion", "vae"])
@pytest.mark.parametrize("n_samples", [0, -1, 2.5, "3", None, True])
def test_sample_rejects_bad_n_samples(name, n_samples):
    with pytest.raises(ValueError, match="n_samples") as excinfo:
        _fitted(name).sample(n_samples)
    _assert_not_from_torch(excinfo)


@pytest.mark.parametrize("name", ["diffusion", "vae"])
def test_sample_accepts_numpy_integers(name):
    out = _fitted(name).sample(np.int64(3))
    out = out[0] if isinstance(out, tuple) else out
    assert out.shape == (3, N_FEATURES)
    _assert_finite(out)


@pytest.mark.parametrize("component", [-1, 1, 0.5, "0", True])
def test_vae_sample_rejects_bad_component(component):
    with pytest.raises(ValueError, match="component"):
        _fitted("vae").sample(2, component=component)


@pytest.mark.parametrize(
    "noise_level", [0, -1.0, np.nan, np.inf, -np.inf, "0.1", None, True, [0.1]]
)
def test_score_field_rejects_bad_noise_level(noise_level):
    with pytest.raises(ValueError, match="noise_level") as excinfo:
        _fitted("diffusion").score_field(X_TRAIN, noise_level)
    _assert_not_from_torch(excinfo)


# --- before fit --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, method", PREDICT_CASES + [("diffusion", "sample"), ("vae", "sample")]
)
def test_methods_before_fit_raise_not_fitted(name, method):
    estimator = make_estimator(name)
    if method == "sample":
        call = estimator.sample
    else:
        call = lambda: PREDICT_METHODS[name][method](estimator, X_TRAIN)  # noqa: E731
    with pytest.raises(NotFittedError, match="not fitted yet"):
        call()


# --- legitimate unusual data -------------------------------------------------------------------


def _duplicated(d):
    return np.repeat(X_TRAIN[:20, :d], 2, axis=0)


def _constant_feature(d):
    return np.c_[X_TRAIN[:, : d - 1], np.full(len(X_TRAIN), 5.0)]


GOOD_DATA = [
    ("one_feature", lambda d: X_TRAIN[:, :1]),
    ("float32", lambda d: X_TRAIN[:, :d].astype(np.float32)),
    ("int", lambda d: np.round(10 * X_TRAIN[:, :d]).astype(np.int64)),
    ("fortran", lambda d: np.asfortranarray(X_TRAIN[:, :d])),
    ("object_numbers", lambda d: X_TRAIN[:, :d].astype(object)),
    ("duplicated", _duplicated),
    ("constant_feature", _constant_feature),
    ("large_values", lambda d: 1e8 * X_TRAIN[:, :d]),
    ("large_offset", lambda d: X_TRAIN[:, :d] + 1e8),
    ("dataframe", lambda d: pd.DataFrame(X_TRAIN[:, :d], columns=list("abc")[:d])),
]


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize("case", GOOD_DATA, ids=[case[0] for case in GOOD_DATA])
def test_unusual_but_valid_data_work(name, case):
    _, make_X = case
    X = make_X(N_FEATURES)
    X_copy = _copy(X)
    estimator = make_estimator(name).fit(X)
    assert estimator.n_features_in_ == X.shape[1]
    for method, call in PREDICT_METHODS[name].items():
        out = call(estimator, X)
        _assert_finite(out)
        if method != "score":
            assert np.shape(out)[0] == X.shape[0]
    if hasattr(estimator, "sample"):
        sample = estimator.sample(4)
        _assert_finite(sample)
        sample = sample[0] if isinstance(sample, tuple) else sample
        assert sample.shape == (4, X.shape[1])
    if name == "dimension":
        assert np.all((estimator.dimension_pw_ >= 0) & (estimator.dimension_pw_ <= X.shape[1]))
    _assert_unchanged(X, X_copy)


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_caller_arrays_are_never_modified(name):
    X = training_data(40, N_FEATURES, seed=2)
    X_new = training_data(10, N_FEATURES, seed=3)
    X_copy, X_new_copy = X.copy(), X_new.copy()
    estimator = make_estimator(name)
    if name == "counter":
        estimator.fit_predict(X)
    else:
        estimator.fit(X)
    for call in PREDICT_METHODS[name].values():
        call(estimator, X_new)
        call(estimator, X)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(X_new, X_new_copy)


# --- feature names -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_dataframe_feature_names(name):
    columns = ["x0", "x1", "x2"]
    df = pd.DataFrame(X_TRAIN, columns=columns)
    estimator = make_estimator(name).fit(df)
    np.testing.assert_array_equal(estimator.feature_names_in_, columns)
    for method, call in PREDICT_METHODS[name].items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call(estimator, df)
        assert not [w for w in caught if "feature names" in str(w.message)], method
        with pytest.warns(UserWarning, match="does not have valid feature names"):
            call(estimator, X_TRAIN)
        renamed = df.rename(columns={"x1": "other"})
        with pytest.raises(ValueError, match="feature names should match"):
            call(estimator, renamed)
        with pytest.raises(ValueError, match="feature names should match"):
            call(estimator, df[["x2", "x1", "x0"]])


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_refit_on_array_forgets_feature_names(name):
    estimator = make_estimator(name).fit(pd.DataFrame(X_TRAIN, columns=["a", "b", "c"]))
    estimator.fit(X_TRAIN)
    assert not hasattr(estimator, "feature_names_in_")


# --- parameters --------------------------------------------------------------------------------

INVALID_PARAMS = {
    "diffusion": [
        ("hidden_width", 0), ("hidden_width", 1.5), ("hidden_width", True),
        ("hidden_width", "wide"), ("n_blocks", -1), ("n_blocks", None), ("max_epochs", 0),
        ("max_epochs", "never"), ("max_epochs", 2.0), ("batch_size", 0), ("batch_size", False),
        ("lr", 0), ("lr", -1e-3), ("lr", np.nan), ("lr", np.inf), ("lr", "fast"),
        ("n_sampling_steps", 0), ("n_ode_steps", 0), ("n_ode_steps", None),
        ("max_exact_divergence", -1), ("training_precision", "float16"),
        ("early_stopping", "sometimes"),
        ("device", "gpu"), ("device", "cuda:0"),
        ("device", "CPU"), ("device", ""), ("device", None),
        ("random_state", "seed"), ("random_state", -1), ("verbose", "loud"),
        ("accelerator", "gpu"), ("accelerator", object()),
    ],
    "dimension": [
        ("score_model", "diffusion"), ("score_model", object()), ("method", "pca"),
        ("method", None), ("noise_level", 0), ("noise_level", -0.1), ("noise_level", np.nan),
        ("noise_level", np.inf), ("noise_level", "small"), ("noise_level", True),
        ("n_probes", 0), ("n_probes", 1.5), ("n_probes", True), ("random_state", "seed"),
    ],
    "counter": [
        ("dimension_estimator", "score"), ("dimension_estimator", object()),
        ("n_neighbors", 0), ("n_neighbors", 2.5), ("n_neighbors", True),
        ("min_stratum_size", 0), ("min_stratum_size", 1.5), ("min_stratum_size", -3),
        ("min_stratum_size", np.nan), ("min_stratum_size", True), ("tangent_split", "yes"),
        ("tangent_split", None), ("max_tangent_angle", -1.0), ("max_tangent_angle", 91),
        ("max_tangent_angle", np.nan), ("tangent_source", "pca"), ("merge_radius", -1.0),
        ("merge_radius", None), ("random_state", "seed"),
    ],
    "vae": [
        ("latent_dims", "many"), ("latent_dims", None), ("latent_dims", 3),
        ("latent_dims", []), ("latent_dims", [-1]), ("latent_dims", [1.5]),
        ("latent_dims", [True]), ("latent_dims", [[1]]), ("hidden_dims", (0,)),
        ("hidden_dims", (8.5,)), ("hidden_dims", ()), ("hidden_dims", "wide"),
        ("hidden_dims", None), ("max_charts", 0), ("max_charts", 2.5),
        ("decoder_noise", 0), ("decoder_noise", -1.0),
        ("decoder_noise", np.nan), ("decoder_noise", "small"), ("decoder_noise", True),
        # the deprecated name of decoder_noise
        ("noise_level", 0), ("noise_level", -1.0), ("noise_level", np.nan),
        ("noise_level", "small"), ("noise_level", True),
        ("max_epochs", 0), ("max_epochs", 1.5), ("batch_size", 0), ("lr", 0), ("lr", np.inf),
        ("n_importance_samples", 0), ("device", "gpu"), ("device", 0), ("device", None),
        ("random_state", "seed"), ("verbose", "loud"), ("stratum_counter", "counter"),
        ("accelerator", "gpu"), ("accelerator", object()),
    ],
}
INVALID_CASES = [
    (name, param, value) for name, cases in INVALID_PARAMS.items() for param, value in cases
]


def _param_id(name, param, value):
    # object() has no stable repr; ids must be identical across pytest-xdist workers.
    return f"{name}-{param}=" + ("object()" if type(value) is object else repr(value))


@pytest.mark.parametrize(
    "name, param, value", INVALID_CASES, ids=[_param_id(*case) for case in INVALID_CASES]
)
def test_invalid_parameter_raises_at_fit(name, param, value):
    estimator = make_estimator(name, **{param: value})  # __init__ only stores it
    with pytest.raises(InvalidParameterError, match=param) as excinfo:
        estimator.fit(X_TRAIN)
    _assert_not_from_torch(excinfo)
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_every_parameter_has_an_invalid_case(name):
    params = set(make_estimator(name).get_params(deep=False))
    assert params == {param for param, _ in INVALID_PARAMS[name]}

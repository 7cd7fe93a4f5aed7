"""Saving, loading, interrupting and diverging: the estimators never end half-updated.

- pickle and joblib round trips reproduce every output exactly;
- a model fitted on CUDA unpickles on a CPU-only machine (emulated: its tensors are
  pickled with the storage location ``cuda:0``, which plain unpickling cannot load here);
- a ``KeyboardInterrupt`` or an error during ``fit`` leaves the estimator as it was:
  unfitted, or with its previous, consistent model;
- a diverging training (non-finite loss) stops with an error that says what to change.
"""

import contextlib
import io
import pickle

import joblib
import numpy as np
import pytest
import torch
import torch.serialization
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from skorch.exceptions import DeviceWarning

from sklearn_strata.diffusion._network import DenoisingNetwork
from sklearn_strata.dimension import ScoreDimensionEstimator
from sklearn_strata.mixture import StratifiedVAEMixture
from sklearn_strata.mixture._vae_network import VAEMixtureModule
from sklearn_strata.strata import _counter
from sklearn_strata.utils import _base
from sklearn_strata.utils._skorch import LossModuleNet

from ._fast import (
    ESTIMATOR_NAMES,
    PREDICT_METHODS,
    assert_same_outputs,
    make_estimator,
    outputs,
    training_data,
)

X_TRAIN = training_data()
_FITTED = {}


def _fitted(name):
    if name not in _FITTED:
        estimator = make_estimator(name).fit(X_TRAIN)
        _FITTED[name] = (estimator, outputs(estimator, X_TRAIN))
    return _FITTED[name]


def _estimators(estimator):
    """The estimator and the fitted estimators nested in it."""
    yield estimator
    for attribute in ("score_model_", "dimension_estimator_", "stratum_counter_"):
        nested = estimator.__dict__.get(attribute)
        if nested is not None:
            yield from _estimators(nested)


def _nets(estimator):
    return [est.net_ for est in _estimators(estimator) if "net_" in est.__dict__]


def _device_tensors(net):
    """Every tensor that lives on the training device: the module's and the optimizer's."""
    for module in net.module_.modules():
        yield from module.parameters(recurse=False)
        yield from module.buffers(recurse=False)
        yield from (value for value in vars(module).values() if torch.is_tensor(value))
    for state in net.optimizer_.state.values():
        yield from (value for value in state.values() if torch.is_tensor(value))


# --- 1. Round trips ----------------------------------------------------------------------------


def _pickle_round_trip(estimator, tmp_path):
    return pickle.loads(pickle.dumps(estimator))


def _joblib_round_trip(estimator, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(estimator, path)
    return joblib.load(path)


ROUND_TRIPS = {"pickle": _pickle_round_trip, "joblib": _joblib_round_trip}


def _without(estimator, names):
    """A pickled copy of ``estimator`` as an older version would have written it."""
    state = estimator.__getstate__()
    for name in names:
        state.pop(name, None)
    return state


def test_models_pickled_before_calibration_and_precision_still_load():
    estimator, _ = _fitted("dimension")
    old = pickle.loads(pickle.dumps(estimator))
    # Before this version: no training precision, no span, an uncalibrated reference.
    model = old.score_model_
    model.__setstate__(
        _without(model, ["training_precision", "training_precision_", "n_training_stages_",
                         "early_stopping"])
    )
    old.__setstate__(_without(old, ["_span", "_collapse_span", "_confirmed_span"]))
    reference = old._reference
    reference.__setstate__(_without(reference, ["calibrate", "smooth", "pooled_"]))
    assert model.get_params()["training_precision"] == "float32"
    assert model.training_precision_ == "float32"
    assert model.n_training_stages_ == 1
    assert model.get_params()["early_stopping"] is False
    assert clone(model).get_params() == model.get_params()
    assert not reference.calibrate and not reference.smooth
    # Its references are read as they were computed, and every method still runs.
    assert np.all(np.isfinite(reference.predict(X_TRAIN[:20])[0]))
    assert old.transform(X_TRAIN[:20]).shape == (20, 1)
    # The score model itself is untouched: the same log-densities as before the pickle.
    np.testing.assert_array_equal(model.score_samples(X_TRAIN[:20]),
                                  estimator.score_model_.score_samples(X_TRAIN[:20]))


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
def test_round_trip_gives_identical_outputs(name, round_trip, tmp_path):
    estimator, expected = _fitted(name)
    restored = ROUND_TRIPS[round_trip](estimator, tmp_path)
    assert type(restored) is type(estimator)
    assert restored.get_params().keys() == estimator.get_params().keys()
    assert_same_outputs(outputs(restored, X_TRAIN), expected)
    # The original is unaffected by having been saved.
    assert_same_outputs(outputs(estimator, X_TRAIN), expected)


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_unfitted_round_trip_stays_unfitted(name):
    restored = pickle.loads(pickle.dumps(make_estimator(name)))
    with pytest.raises(NotFittedError):
        check_is_fitted(restored)


@pytest.mark.parametrize("name", ["diffusion", "vae"])
def test_verbose_model_pickles(name, capsys):
    # The progress bar holds the output stream; it must not end up in the pickle.
    estimator = make_estimator(name, verbose=True).fit(X_TRAIN)
    expected = outputs(estimator, X_TRAIN)
    assert_same_outputs(outputs(pickle.loads(pickle.dumps(estimator)), X_TRAIN), expected)


# --- 2. Fitted on CUDA, loaded on a CPU-only machine -------------------------------------------

needs_no_cuda = pytest.mark.skipif(
    torch.cuda.is_available(), reason="emulates a machine without CUDA"
)


@contextlib.contextmanager
def _saved_as_on_cuda(tensors):
    """Pickle ``tensors`` as if they lived on ``cuda:0``.

    ``pickle`` stores a tensor's storage through ``torch.save``, which records the device
    returned by ``torch.serialization.location_tag``; plain unpickling restores the storage
    there, so on a machine without CUDA it fails unless the loader maps it elsewhere.
    """
    on_cuda = {tensor.untyped_storage().data_ptr() for tensor in tensors}
    location_tag = torch.serialization.location_tag

    def tag(storage):
        return "cuda:0" if storage.data_ptr() in on_cuda else location_tag(storage)

    torch.serialization.location_tag = tag
    try:
        yield
    finally:
        torch.serialization.location_tag = location_tag


def _as_if_fitted_on_cuda(estimator):
    """A copy of a CPU-fitted estimator whose parameters and state say it ran on CUDA."""
    estimator = pickle.loads(pickle.dumps(estimator))
    for est in _estimators(estimator):
        if "device" in est.get_params(deep=False):
            est.set_params(device="cuda")
        if "device_" in est.__dict__:
            est.device_ = torch.device("cuda")
        if "net_" in est.__dict__:
            est.net_.device = "cuda"
    return estimator


def _dumps_from_cuda(estimator, dump):
    tensors = [tensor for net in _nets(estimator) for tensor in _device_tensors(net)]
    assert tensors
    with _saved_as_on_cuda(tensors):
        return dump(estimator)


@needs_no_cuda
def test_emulation_makes_unloadable_cuda_pickles():
    tensor = torch.arange(3.0)
    with _saved_as_on_cuda([tensor]):
        data = pickle.dumps(tensor)
    with pytest.raises(RuntimeError, match="CUDA"):
        pickle.loads(data)


@needs_no_cuda
@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize("library", ["pickle", "joblib"])
def test_model_fitted_on_cuda_loads_on_cpu(name, library, tmp_path):
    estimator, expected = _fitted(name)
    on_cuda = _as_if_fitted_on_cuda(estimator)
    if library == "pickle":
        data = _dumps_from_cuda(on_cuda, pickle.dumps)
        load = lambda: pickle.loads(data)  # noqa: E731
    else:
        path = tmp_path / "model.joblib"
        _dumps_from_cuda(on_cuda, lambda est: joblib.dump(est, path))
        load = lambda: joblib.load(path)  # noqa: E731
    # skorch warns that it loads the CUDA tensors and sets the net's device to the CPU.
    with pytest.warns(DeviceWarning, match="not available|no CUDA devices are available"):
        restored = load()
    for est in _estimators(restored):
        if "device_" in est.__dict__:
            assert est.device_ == torch.device("cpu")
    for net in _nets(restored):
        assert torch.device(net.device) == torch.device("cpu")
        assert net.module is net.module_
        for tensor in _device_tensors(net):
            assert tensor.device == torch.device("cpu")
    assert_same_outputs(outputs(restored, X_TRAIN), expected)


def test_net_pickles_every_tensor_holder_with_a_map_location():
    # skorch unpickles the attributes named in cuda_dependent_attributes_ with
    # torch.load(map_location=...); everything else is plain pickle, which cannot move
    # CUDA tensors. The module (twice: module and module_), the optimizer, and the
    # callbacks (the LR scheduler holds the optimizer) must all go the first way.
    estimator, _ = _fitted("diffusion")
    net = estimator.net_
    assert isinstance(net, LossModuleNet)
    state = net.__getstate__()
    for key in ("module", "module_", "optimizer_", "callbacks_", "criterion_"):
        assert key in net.__dict__
        assert key not in state, key
    tensors_outside = []

    def persistent_id(obj):
        if isinstance(obj, torch.Generator):
            # The batch shuffler's generator: always on the CPU, and restored as it is.
            assert obj.device == torch.device("cpu")
            return "generator"
        if torch.is_tensor(obj) or isinstance(obj, torch.UntypedStorage | torch.TypedStorage):
            tensors_outside.append(obj)
        return None

    class Pickler(pickle.Pickler):
        pass

    pickler = Pickler(io.BytesIO())
    pickler.persistent_id = persistent_id
    pickler.dump({k: v for k, v in state.items() if k != "__cuda_dependent_attributes__"})
    assert not tensors_outside


# --- 3. Interrupted fits -----------------------------------------------------------------------


def _interrupt_training(monkeypatch, after_calls=1):
    """Raise KeyboardInterrupt from the training forward pass of either network."""
    calls = {"n": 0}
    for module in (DenoisingNetwork, VAEMixtureModule):
        forward = module.forward

        def interrupted(self, *args, _forward=forward, **kwargs):
            calls["n"] += 1
            if calls["n"] > after_calls:
                raise KeyboardInterrupt
            return _forward(self, *args, **kwargs)

        monkeypatch.setattr(module, "forward", interrupted)
    return calls


def _interrupt_late(monkeypatch, name):
    """Raise KeyboardInterrupt after training, before ``fit`` has set every attribute."""

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    if name == "diffusion":
        fit_loss_module = _base.fit_loss_module

        def trained_then_interrupted(*args, **kwargs):
            fit_loss_module(*args, **kwargs)
            raise KeyboardInterrupt

        monkeypatch.setattr(_base, "fit_loss_module", trained_then_interrupted)
    elif name == "dimension":
        monkeypatch.setattr(ScoreDimensionEstimator, "_read", interrupt)
    elif name == "counter":
        monkeypatch.setattr(_counter, "find_strata", interrupt)
    else:
        monkeypatch.setattr(StratifiedVAEMixture, "_log_joint_charts", interrupt)


def _interrupt(monkeypatch, name, where):
    if where == "training":
        _interrupt_training(monkeypatch)
    else:
        _interrupt_late(monkeypatch, name)


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize("where", ["training", "late"])
def test_interrupted_fit_leaves_estimator_unfitted(name, where, monkeypatch):
    estimator = make_estimator(name)
    params_only = dict(vars(estimator))
    _interrupt(monkeypatch, name, where)
    with pytest.raises(KeyboardInterrupt):
        estimator.fit(X_TRAIN)
    assert vars(estimator).keys() == params_only.keys()
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)
    for call in PREDICT_METHODS[name].values():
        with pytest.raises(NotFittedError):
            call(estimator, X_TRAIN)
    monkeypatch.undo()
    # Still usable: a plain fit afterwards works and matches a fresh one.
    assert_same_outputs(outputs(estimator.fit(X_TRAIN), X_TRAIN), _fitted(name)[1])


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
@pytest.mark.parametrize("where", ["training", "late"])
def test_interrupted_refit_keeps_the_previous_model(name, where, monkeypatch):
    estimator = clone(_fitted(name)[0]).fit(X_TRAIN)
    expected = outputs(estimator, X_TRAIN)
    before = dict(vars(estimator))
    other = training_data(30, 2, seed=5) * 10  # different data, different number of features
    _interrupt(monkeypatch, name, where)
    with pytest.raises(KeyboardInterrupt):
        estimator.fit(other)
    monkeypatch.undo()
    assert vars(estimator).keys() == before.keys()
    for key, value in before.items():
        assert vars(estimator)[key] is value, key
    assert estimator.n_features_in_ == X_TRAIN.shape[1]
    assert_same_outputs(outputs(estimator, X_TRAIN), expected)


@pytest.mark.parametrize("name", ["diffusion", "vae"])
def test_keyboard_interrupt_in_training_is_not_swallowed(name, monkeypatch):
    # skorch stops training quietly on KeyboardInterrupt; the estimator must not then
    # carry on and return a half-trained model.
    calls = _interrupt_training(monkeypatch, after_calls=1)
    with pytest.raises(KeyboardInterrupt, match="interrupted at epoch"):
        make_estimator(name, max_epochs=5).fit(X_TRAIN)
    assert calls["n"] >= 2


@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_failed_refit_on_bad_data_keeps_the_previous_model(name):
    estimator = clone(_fitted(name)[0]).fit(X_TRAIN)
    expected = outputs(estimator, X_TRAIN)
    before = dict(vars(estimator))
    bad = X_TRAIN[:, :2].copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        estimator.fit(bad)
    assert vars(estimator).keys() == before.keys()
    for key, value in before.items():
        assert vars(estimator)[key] is value, key
    assert_same_outputs(outputs(estimator, X_TRAIN), expected)


# --- 4. Diverging training ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["diffusion", "vae"])
def test_huge_learning_rate_stops_with_a_clear_error(name):
    estimator = make_estimator(name, lr=1e6, max_epochs=5)
    with pytest.raises(FloatingPointError, match=r"Lower the learning rate \(lr=1000000\.0\)"):
        estimator.fit(X_TRAIN)
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)


@pytest.mark.parametrize("name", ["diffusion", "vae"])
@pytest.mark.parametrize("bad_loss", [np.nan, np.inf])
def test_non_finite_loss_stops_training(name, bad_loss, monkeypatch):
    for module in (DenoisingNetwork, VAEMixtureModule):
        forward = module.forward

        def non_finite(self, x, _forward=forward):
            return _forward(self, x) * bad_loss

        monkeypatch.setattr(module, "forward", non_finite)
    estimator = make_estimator(name)
    with pytest.raises(FloatingPointError, match="at epoch 1.*Lower the learning rate"):
        estimator.fit(X_TRAIN)
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)


@pytest.mark.parametrize("name", ["diffusion", "vae"])
def test_diverging_refit_keeps_the_previous_model(name):
    estimator = clone(_fitted(name)[0]).fit(X_TRAIN)
    expected = outputs(estimator, X_TRAIN)
    net = estimator.net_
    estimator.set_params(lr=1e6, max_epochs=5)
    with pytest.raises(FloatingPointError, match="Lower the learning rate"):
        estimator.fit(X_TRAIN)
    assert estimator.net_ is net
    assert_same_outputs(outputs(estimator, X_TRAIN), expected)

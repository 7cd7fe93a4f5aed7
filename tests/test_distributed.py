"""Distributed training: hyperparameter searches on a dask cluster, and accelerate.

- ``GridSearchCV`` and ``cross_val_score`` run on a real ``dask.distributed`` cluster
  (scheduler and two worker processes on the loopback interface) through joblib's dask
  backend, and give exactly the results of the local sequential run;
- ``sklearn_strata.utils.apply_blockwise`` runs the per-row methods of fitted estimators on
  the blocks of a dask array on that cluster, and gives exactly the local call's result;
- ``accelerator=accelerate.Accelerator(cpu=True)`` trains through skorch's
  ``AccelerateMixin`` (the path of multi-GPU training under ``accelerate launch``),
  reproduces the plain fit, and the fitted estimators still pickle.
"""

import importlib
import logging
import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from ._fast import NOISE_LEVEL, assert_same_outputs, make_estimator, outputs, training_data

CV = KFold(n_splits=3, shuffle=True, random_state=0)


def _curve(n_samples=48, seed=0):
    """A noisy parabola in R^3: a one-dimensional stratum."""
    rng = np.random.RandomState(seed)
    t = rng.uniform(-1, 1, size=(n_samples, 1))
    return np.hstack([t, t**2, 0.05 * rng.randn(n_samples, 1)])


X_CURVE = _curve()

SEARCHES = {
    "diffusion": {"hidden_width": [8, 16], "n_blocks": [0, 1]},
    "vae": {"latent_dims": [[1], [2]]},
}


# --- dask ----------------------------------------------------------------------------------


@pytest.fixture
def dask_client():
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    try:
        client = distributed.Client(cluster)
        try:
            # As in this process (conftest.py): one torch thread per worker, so that the
            # two workers do not fight over the cores and reductions run in the same order.
            client.run(torch.set_num_threads, 1)
            client.run(importlib.import_module, "sklearn_strata")
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def _on_dask(client, run):
    """``run()`` under joblib's dask backend; checks the work went to the cluster."""
    from dask.distributed import get_task_stream

    with get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        result = run()
    assert len(stream.data) > 0, "nothing ran on the dask workers"
    return result


def _assert_same_search(remote, local, name):
    for key in ["mean_test_score"] + [f"split{i}_test_score" for i in range(CV.get_n_splits())]:
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key], name)
    assert np.all(np.isfinite(local.cv_results_["mean_test_score"])), name
    assert remote.best_params_ == local.best_params_, name
    # The refitted best model came back from the cluster intact.
    assert_same_outputs(
        outputs(remote.best_estimator_, X_CURVE[:8]), outputs(local.best_estimator_, X_CURVE[:8])
    )


def test_searches_on_dask_match_sequential(dask_client):
    # One test for every search, so that pytest-xdist starts a single cluster.
    for name, grid in SEARCHES.items():
        search = GridSearchCV(make_estimator(name), grid, cv=CV)
        local = clone(search).fit(X_CURVE)
        remote = _on_dask(dask_client, lambda search=search: clone(search).fit(X_CURVE))
        _assert_same_search(remote, local, name)

    estimator = make_estimator("diffusion")
    local = cross_val_score(estimator, X_CURVE, cv=CV)
    remote = _on_dask(dask_client, lambda: cross_val_score(estimator, X_CURVE, cv=CV))
    np.testing.assert_array_equal(remote, local)
    assert np.all(np.isfinite(local))


# --- inference on dask arrays ----------------------------------------------------------------

# Every per-row method of the fitted estimators: (name, method, extra arguments).
BLOCKWISE_CASES = [
    ("dimension", "transform", ()),
    ("dimension", "tangent_spaces", ()),
    ("diffusion", "score_samples", ()),
    ("diffusion", "score_field", (NOISE_LEVEL,)),
    ("counter", "predict", ()),
    ("vae", "score_samples", ()),
    ("vae", "predict", ()),
    ("vae", "predict_proba", ()),
]


def test_apply_blockwise_on_dask_matches_local(dask_client):
    import dask.array as da
    from dask.distributed import get_task_stream

    from sklearn_strata.utils import apply_blockwise

    X = training_data(n_samples=60)
    X_new = training_data(n_samples=50, seed=1)
    fitted = {name: make_estimator(name).fit(X) for name in {case[0] for case in BLOCKWISE_CASES}}
    # Uneven blocks of rows, and two column chunks that apply_blockwise merges.
    X_dask = da.from_array(X_new, chunks=((20, 20, 10), (2, 1)))
    for name, method, args in BLOCKWISE_CASES:
        estimator = fitted[name]
        local = getattr(estimator, method)(X_new, *args)
        lazy = apply_blockwise(estimator, method, X_dask, *args)
        assert lazy.shape == local.shape and lazy.dtype == local.dtype, (name, method)
        assert lazy.chunks[0] == (20, 20, 10)
        with get_task_stream(dask_client) as stream:
            remote = dask_client.compute(lazy).result()
        ran = {task["key"][0] if isinstance(task["key"], tuple) else task["key"]
               for task in stream.data}
        assert any(str(key).startswith("_apply") for key in ran), f"{name}.{method} ran locally"
        # Exactly what this process computes on the same blocks; and, float32 networks
        # rounding a few ulps differently in other batch shapes, the whole-array call.
        blocks = [getattr(estimator, method)(X_new[a:b], *args) for a, b in ((0, 20), (20, 40),
                                                                             (40, 50))]
        np.testing.assert_array_equal(remote, np.concatenate(blocks), err_msg=f"{name}.{method}")
        if local.dtype.kind == "f":
            scale = np.abs(local).max()
            np.testing.assert_allclose(remote, local, rtol=1e-5, atol=1e-6 * scale)
        else:
            np.testing.assert_array_equal(remote, local, err_msg=f"{name}.{method}")
    # The blocks ran on both workers, not in this process.
    workers = {task["worker"] for task in stream.data}
    assert workers <= set(dask_client.scheduler_info()["workers"])


def test_apply_blockwise_without_cluster():
    da = pytest.importorskip("dask.array")
    from sklearn_strata.utils import apply_blockwise

    X = training_data()
    vae = make_estimator("vae").fit(X)
    # A numpy array is wrapped, and the local threaded scheduler computes it.
    result = apply_blockwise(vae, "predict_proba", X)
    np.testing.assert_array_equal(result.compute(), vae.predict_proba(X))
    with pytest.raises(ValueError, match="one output row per input row"):
        apply_blockwise(vae, "score", da.from_array(X, chunks=10))
    with pytest.raises(ValueError, match="2-dimensional"):
        apply_blockwise(vae, "predict", da.from_array(X[0]))


# --- accelerate ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def accelerator():
    accelerate = pytest.importorskip("accelerate")
    return accelerate.Accelerator(cpu=True)


@pytest.mark.parametrize("name", ["diffusion", "vae"])
def test_accelerator_trains_like_the_plain_fit(accelerator, name):
    X = training_data()
    accelerated = make_estimator(name, max_epochs=4, accelerator=accelerator).fit(X)
    plain = make_estimator(name, max_epochs=4).fit(X)

    assert type(accelerated.net_).__name__ == "AcceleratedLossModuleNet"
    losses = np.asarray(accelerated.net_.history[:, "train_loss"])
    assert len(losses) == 4
    assert np.all(np.isfinite(losses))
    assert np.all(np.isfinite(accelerated.score_samples(X)))
    # On one CPU process, accelerate changes nothing in the arithmetic.
    np.testing.assert_array_equal(losses, plain.net_.history[:, "train_loss"])
    assert_same_outputs(outputs(accelerated, X), outputs(plain, X))
    # The accelerator forgets what it prepared for the fit (nothing kept alive).
    for attribute in ("_models", "_optimizers", "_schedulers", "_dataloaders"):
        assert getattr(accelerator, attribute, []) == []


@pytest.mark.parametrize("name", ["diffusion", "vae"])
def test_accelerated_estimator_pickles(accelerator, name):
    X = training_data()
    estimator = make_estimator(name, accelerator=accelerator).fit(X)
    expected = outputs(estimator, X)
    loaded = pickle.loads(pickle.dumps(estimator))
    assert_same_outputs(outputs(loaded, X), expected)
    # The unpickled estimator is still a working accelerated estimator.
    refit = loaded.fit(X)
    assert_same_outputs(outputs(refit, X), expected)


def test_accelerator_training_learns(accelerator):
    # The epoch means of the denoising loss scatter by about 10% (random levels), so
    # learning is judged on fixed draws: the denoising error of the curve blurred at 0.2.
    X = _curve(200)
    noisy = X + 0.2 * np.random.RandomState(0).standard_normal(X.shape)

    def denoising_error(max_epochs):
        estimator = make_estimator(
            "diffusion", max_epochs=max_epochs, batch_size=50, accelerator=accelerator
        ).fit(X)
        assert np.all(np.isfinite(estimator.net_.history[:, "train_loss"]))
        return np.mean(np.sum((estimator.denoise(noisy, 0.2) - X) ** 2, axis=1)), estimator

    trained_error, trained = denoising_error(30)
    barely_trained_error, _ = denoising_error(1)
    # Measured over six seeds: a ratio of 0.80-0.88.
    assert trained_error < 0.95 * barely_trained_error
    assert np.all(np.isfinite(trained.score_samples(X[:10])))

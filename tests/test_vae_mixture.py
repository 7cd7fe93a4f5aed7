"""Tests of :class:`sklearn_strata.mixture.StratifiedVAEMixture`."""

import pickle
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import NearestNeighbors

from sklearn_strata.mixture import StratifiedVAEMixture, one_standard_error_refit
from sklearn_strata.mixture._vae_network import (
    HoldThenCosine,
    MixtureEMStep,
    MixtureWarmup,
    VAEMixtureModule,
)

from ._fast import FAST_VAE


def _lollipop(n_samples, ambient_dim=10, noise=0.01, random_state=0):
    """A unit disk with a unit stick attached to its rim, in R^D by a random isometry."""
    try:
        from sklearn_strata.datasets import make_lollipop
    except ImportError:
        make_lollipop = None
    if make_lollipop is not None:
        # Disk and stick only: the candidates of the sieve have no point component.
        return make_lollipop(
            n_samples,
            ambient_dim=ambient_dim,
            weights=(0.6, 0.4, 0.0),
            noise=noise,
            random_state=random_state,
        )
    rng = np.random.RandomState(random_state)
    n_stick = n_samples // 3
    n_disk = n_samples - n_stick
    radius, angle = np.sqrt(rng.uniform(0, 1, n_disk)), rng.uniform(0, 2 * np.pi, n_disk)
    disk = np.c_[radius * np.cos(angle), radius * np.sin(angle), np.zeros(n_disk)]
    stick = np.c_[1 + rng.uniform(0, 1, n_stick), np.zeros((n_stick, 2))]
    basis, _ = np.linalg.qr(rng.randn(ambient_dim, 3))
    X = np.r_[disk, stick] @ basis.T + noise * rng.randn(n_samples, ambient_dim)
    y = np.r_[np.zeros(n_disk, dtype=int), np.ones(n_stick, dtype=int)]
    order = rng.permutation(n_samples)
    return X[order], y[order]


@pytest.fixture(scope="module")
def lollipop():
    return _lollipop(600, random_state=0)


def _small(**params):
    defaults = dict(latent_dims=[2, 1], hidden_dims=(32, 32), max_epochs=40, random_state=0)
    return StratifiedVAEMixture(**{**defaults, **params})


def test_fit_attributes(lollipop):
    X, _ = lollipop
    X_copy = X.copy()
    est = _small().fit(X)
    np.testing.assert_array_equal(X, X_copy)
    assert est.latent_dims_ == [2, 1]
    assert est.n_components_ == 2
    assert est.weights_.shape == (2,)
    np.testing.assert_allclose(est.weights_.sum(), 1.0)
    assert est.decoder_noise_.shape == (2,)
    assert np.all(est.decoder_noise_ > 0)
    assert est.n_features_in_ == X.shape[1]
    proba = est.predict_proba(X[:50])
    assert proba.shape == (50, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(est.predict(X[:50]), proba.argmax(axis=1))
    assert np.isclose(est.score(X[:50]), est.score_samples(X[:50]).mean())


def test_reproducible_across_fits_clone_and_pickle(lollipop):
    X, _ = lollipop
    est = _small(max_epochs=10).fit(X)
    scores, (samples, labels) = est.score_samples(X), est.sample(30, random_state=0)
    # Inference is deterministic on a fitted model; sample with a fixed int too.
    np.testing.assert_array_equal(est.score_samples(X), scores)
    np.testing.assert_array_equal(est.sample(30, random_state=0)[0], samples)
    for other in [
        _small(max_epochs=10).fit(X),
        clone(est).fit(X),
        pickle.loads(pickle.dumps(est)),
    ]:
        np.testing.assert_array_equal(other.score_samples(X), scores)
        other_samples, other_labels = other.sample(30, random_state=0)
        np.testing.assert_array_equal(other_samples, samples)
        np.testing.assert_array_equal(other_labels, labels)
    other = _small(max_epochs=10, random_state=1).fit(X)
    assert not np.array_equal(other.sample(30, random_state=0)[0], samples)


def test_sample_draws_afresh_without_random_state(lollipop):
    # As KernelDensity.sample: None draws from numpy's global random state, so repeated
    # calls differ; an int or a RandomState in the same state reproduces the draw.
    X, _ = lollipop
    est = _small(max_epochs=5).fit(X)
    assert not np.allclose(est.sample(20)[0], est.sample(20)[0])
    np.testing.assert_array_equal(est.sample(20, random_state=3)[0],
                                  est.sample(20, random_state=3)[0])
    np.testing.assert_array_equal(
        est.sample(20, random_state=np.random.RandomState(4))[0],
        est.sample(20, random_state=np.random.RandomState(4))[0],
    )
    assert not np.allclose(est.sample(20, random_state=1)[0], est.sample(20, random_state=2)[0])


def test_score_samples_in_original_units(lollipop):
    X, _ = lollipop
    c = 10.0
    est = _small(max_epochs=10).fit(X)
    est_scaled = _small(max_epochs=10).fit(c * X)
    np.testing.assert_allclose(
        est_scaled.score_samples(c * X),
        est.score_samples(X) - X.shape[1] * np.log(c),
        rtol=1e-4,
        atol=1e-3,
    )
    np.testing.assert_allclose(est_scaled.decoder_noise_, c * est.decoder_noise_, rtol=1e-4)
    np.testing.assert_allclose(
        est_scaled.sample(20, random_state=0)[0], c * est.sample(20, random_state=0)[0],
        rtol=1e-4,
    )


def test_fixed_decoder_noise_is_in_original_units(lollipop):
    X, _ = lollipop
    est = _small(max_epochs=2, decoder_noise=0.05).fit(X)
    np.testing.assert_allclose(est.decoder_noise_, 0.05, rtol=1e-5)


def test_noise_level_is_a_deprecated_alias_of_decoder_noise(lollipop):
    X, _ = lollipop
    new = _small(max_epochs=2, decoder_noise=0.05).fit(X)
    old = _small(max_epochs=2, noise_level=0.05)
    with pytest.warns(FutureWarning, match="`noise_level` was renamed `decoder_noise`"):
        old.fit(X)
    # The old name maps onto the new one: the same model.
    np.testing.assert_array_equal(old.decoder_noise_, new.decoder_noise_)
    np.testing.assert_array_equal(old.score_samples(X[:20]), new.score_samples(X[:20]))
    assert old.get_params()["noise_level"] == 0.05  # the parameter is left as set
    # The old name set to None (learn the noise) warns too and learns it.
    learned = _small(max_epochs=2, noise_level=None)
    with pytest.warns(FutureWarning, match="noise_level"):
        learned.fit(X)
    default = _small(max_epochs=2).fit(X)
    np.testing.assert_array_equal(learned.decoder_noise_, default.decoder_noise_)
    # Both names at once is ambiguous.
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="Both `noise_level`"):
        _small(max_epochs=2, noise_level=0.05, decoder_noise=0.1).fit(X)
    # The default does not warn.
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        fitted = _small(max_epochs=2).fit(X)
    # The fitted attribute's old name is a deprecated property.
    with pytest.warns(FutureWarning, match="`noise_level_` was renamed `decoder_noise_`"):
        np.testing.assert_array_equal(fitted.noise_level_, fitted.decoder_noise_)
    assert "noise_level_" not in vars(fitted)


def test_pickle_from_before_the_decoder_noise_rename(lollipop):
    # An estimator pickled with the parameter and attribute under their old names.
    X, _ = lollipop
    est = _small(max_epochs=2, decoder_noise=0.05).fit(X)
    state = est.__getstate__()
    state["noise_level"] = state.pop("decoder_noise")
    state["noise_level_"] = state.pop("decoder_noise_")
    old = StratifiedVAEMixture.__new__(StratifiedVAEMixture)
    old.__setstate__(state)
    assert old.get_params()["decoder_noise"] == 0.05
    assert old.get_params()["noise_level"] == "deprecated"
    np.testing.assert_array_equal(old.decoder_noise_, est.decoder_noise_)
    np.testing.assert_array_equal(old.score_samples(X[:5]), est.score_samples(X[:5]))


def test_zero_latent_dimension():
    # A point mass and a segment in R^5: latent dimension 0 is a blurred point.
    rng = np.random.RandomState(0)
    center = np.array([3.0, 1.0, 0.0, 0.0, 0.0])
    segment = np.c_[rng.uniform(-1, 1, (200, 1)), np.zeros((200, 4))]
    X = np.r_[center + 0.01 * rng.randn(100, 5), segment + 0.01 * rng.randn(200, 5)]
    est = StratifiedVAEMixture([0, 1], hidden_dims=(16,), max_epochs=30, random_state=0).fit(X)
    np.testing.assert_array_equal(est.predict(X), np.r_[np.zeros(100), np.ones(200)])
    np.testing.assert_allclose(est.weights_, [1 / 3, 2 / 3], atol=0.02)
    comp = est.net_.module_.components[0]
    fitted_center = comp.center.detach().double().numpy() * est.scale_ + est.mean_
    np.testing.assert_allclose(fitted_center, center, atol=0.01)
    np.testing.assert_allclose(est.decoder_noise_[0], 0.01, rtol=0.2)
    samples, labels = est.sample(50, component=0, random_state=0)
    np.testing.assert_array_equal(labels, 0)
    assert np.abs(samples - center).max() < 0.1


def test_sample_component_and_errors(lollipop):
    X, _ = lollipop
    est = _small(max_epochs=5).fit(X)
    samples, labels = est.sample(7, component=1)
    assert samples.shape == (7, X.shape[1])
    np.testing.assert_array_equal(labels, 1)
    with pytest.raises(ValueError, match="out of range"):
        est.sample(3, component=2)
    with pytest.raises(ValueError, match="n_samples"):
        est.sample(0)


@pytest.mark.parametrize(
    "latent_dims, match",
    [([], "non-empty"), ([1, -1], "non-negative"), ([1.5], "integers")],
)
def test_invalid_latent_dims(lollipop, latent_dims, match):
    X, _ = lollipop
    with pytest.raises(ValueError, match=match):
        _small(latent_dims=latent_dims).fit(X)


class _OracleCounter(BaseEstimator):
    """Stand-in for StratumCounter that returns the true strata of the lollipop."""

    def __init__(self, labels=None, random_state=None):
        self.labels = labels
        self.random_state = random_state

    def fit(self, X, y=None):
        self.labels_ = np.asarray(self.labels).copy()
        self.labels_[:5] = -1  # junction points
        self.strata_dims_ = [2, 1]
        self.n_strata_ = 2
        self.weights_ = np.bincount(self.labels) / len(self.labels)
        return self


def test_auto_latent_dims_use_the_stratum_counter(lollipop):
    X, y = lollipop
    counter = _OracleCounter(labels=y)
    est = _small(latent_dims="auto", stratum_counter=counter).fit(X)
    assert est.latent_dims_ == [2, 1]
    assert not hasattr(counter, "labels_")  # the given counter is cloned, not fitted
    assert est.stratum_counter_.random_state is not None
    assert np.mean(est.predict(X) == y) > 0.9


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available")
def test_cuda_without_cuda_raises(lollipop):
    X, _ = lollipop
    with pytest.raises(ValueError, match="CUDA"):
        _small(device="cuda").fit(X)


def test_samples_lie_near_the_data():
    X, _ = _lollipop(1000, random_state=1)
    X_train, X_test = X[:700], X[700:]
    est = _small(max_epochs=150).fit(X_train)
    samples, _ = est.sample(300, random_state=0)
    nn = NearestNeighbors(n_neighbors=1).fit(X_train)
    d_samples = np.median(nn.kneighbors(samples)[0])
    d_test = np.median(nn.kneighbors(X_test)[0])
    assert d_samples < 2.0 * d_test


def test_grid_search_selects_the_true_latent_dimensions():
    """Sieve model selection by held-out score on the lollipop (a disk and a stick).

    The under-dimensioned candidate [1, 1] must lose clearly. The candidates that contain
    the truth ([2, 1], [3, 1], [2, 2]) are nested and fit held-out data about equally well,
    so the one-standard-error rule picks the simplest of them: exactly [2, 1].
    """
    X, _ = _lollipop(1500, random_state=0)
    candidates = [[1, 1], [2, 1], [3, 1], [2, 2]]
    grid = GridSearchCV(
        StratifiedVAEMixture(hidden_dims=(64, 64), max_epochs=150, random_state=0),
        {"latent_dims": candidates},
        cv=3,
        refit=False,
    )
    grid.fit(X)
    scores = dict(zip(map(tuple, candidates), grid.cv_results_["mean_test_score"], strict=True))
    assert grid.best_params_["latent_dims"] != [1, 1]
    assert scores[(2, 1)] > scores[(1, 1)] + 5.0, scores
    chosen = grid.cv_results_["params"][one_standard_error_refit(grid.cv_results_)]
    assert sorted(chosen["latent_dims"]) == [1, 2], scores


def test_one_standard_error_refit_in_grid_search():
    X, _ = _lollipop(200, random_state=0)
    grid = GridSearchCV(
        StratifiedVAEMixture(**FAST_VAE),
        {"latent_dims": [[2], [1]]},
        cv=2,
        refit=one_standard_error_refit,
    ).fit(X)
    assert grid.best_params_ == grid.cv_results_["params"][grid.best_index_]
    assert hasattr(grid.best_estimator_, "latent_dims_")


def test_one_standard_error_refit_prefers_fewest_latent_dimensions_on_ties():
    """Nested candidates that tie go to the one of the smallest total latent dimension,
    wherever it stands in the grid; a candidate below the one-SE band is never chosen."""
    params = [{"latent_dims": [3, 1, 0]}, {"latent_dims": [2, 1, 0]},
              {"latent_dims": [1, 1, 0]}, {"latent_dims": [2, 2, 0]}]
    cv_results = {
        "params": params,
        "mean_test_score": np.array([25.01, 25.00, 16.3, 25.02]),
        "std_test_score": np.array([0.07, 0.07, 0.45, 0.07]),
        **{f"split{k}_test_score": np.zeros(4) for k in range(5)},
    }
    assert one_standard_error_refit(cv_results) == 1
    # [2, 1, 0] more than one standard error (0.07 / sqrt(5)) below the best: not eligible;
    # [3, 1, 0] and [2, 2, 0] have the same total latent dimension: the better score wins
    cv_results["mean_test_score"] = np.array([25.01, 24.9, 16.3, 25.02])
    assert one_standard_error_refit(cv_results) == 3


def test_learning_rate_is_held_then_annealed(lollipop):
    """Constant, then a cosine decay over the last quarter of the epochs: at a constant rate
    to the end the decoders jitter and inflate the learned noise by a different amount in
    every fit, which decided the sieve (issue #15); a decay from the start can leave a
    collapsed component on its plateau."""
    X, _ = lollipop
    est = _small(max_epochs=12).fit(X)
    lrs = np.asarray(est.net_.history[:, "event_lr"])
    assert len(lrs) == 12
    np.testing.assert_allclose(lrs[:10], est.lr)
    assert np.all(np.diff(lrs[9:]) < 0) and lrs[-1] < 0.3 * est.lr
    # the schedule's factor is a picklable object, not a lambda
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(restored.score_samples(X[:5]), est.score_samples(X[:5]))


def test_hold_then_cosine_factor():
    factor = HoldThenCosine(100, 0.25)
    values = np.array([factor(epoch) for epoch in range(100)])
    np.testing.assert_allclose(values[:76], 1.0)
    assert np.all(np.diff(values[75:]) < 0) and 0 < values[-1] < 0.01
    assert HoldThenCosine(1, 0.25)(0) == 1.0


# --- the per-epoch work in skorch callbacks -------------------------------------------------


def test_warmup_and_em_step_are_skorch_callbacks(lollipop):
    X, _ = lollipop
    est = _small(max_epochs=8).fit(X)
    callbacks = dict(est.net_.callbacks_)
    assert isinstance(callbacks["warmup"], MixtureWarmup)
    assert callbacks["warmup"].n_epochs == 2  # a quarter of the epochs
    assert isinstance(callbacks["em_step"], MixtureEMStep)
    module = est.net_.module_
    # Nothing of training is left behind: the net pickles small and alike.
    assert module.batch_statistics is None and module.warmup is False
    assert callbacks["em_step"].resp_sum_ is None and callbacks["em_step"].rows_ == 0
    restored = pickle.loads(pickle.dumps(est))
    assert isinstance(dict(restored.net_.callbacks_)["em_step"], MixtureEMStep)

    # forward only computes the loss: the weights and noise levels stay where they are.
    buffers = [buffer.clone() for buffer in module.buffers()]
    n = 32
    r0 = np.tile([1.0, 0.0], (n, 1))
    batch = torch.as_tensor(np.hstack([est._standardise(X[:n]), r0]), dtype=torch.float32)
    module.train()
    module.generator = torch.Generator().manual_seed(0)
    try:
        for warmup in (True, False):
            module.warmup = warmup
            loss = module(batch)
            assert loss.shape == (n,)
            loss.mean().backward()
            resp, sq_err = module.batch_statistics
            assert resp.shape == sq_err.shape == (n, 2)
            assert not resp.requires_grad and not sq_err.requires_grad
            if warmup:
                np.testing.assert_array_equal(resp.numpy(), r0)
            else:
                np.testing.assert_allclose(resp.sum(1).numpy(), 1.0, rtol=1e-5)
        for buffer, before in zip(module.buffers(), buffers, strict=True):
            assert torch.equal(buffer, before)
    finally:
        module.eval()
        module.generator = module.batch_statistics = None
        module.warmup = False


def test_em_step_callback_is_the_closed_form_m_step_of_the_epoch():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        module = VAEMixtureModule(3, [1, 0], (4,))
    net = SimpleNamespace(module_=module, history=[])
    warmup, em_step = MixtureWarmup(1), MixtureEMStep()
    em_step.on_train_begin(net)
    rng = np.random.RandomState(0)
    batches = [
        (torch.as_tensor(rng.dirichlet([1, 1], size=rows), dtype=torch.float32),
         torch.as_tensor(rng.uniform(0, 2, size=(rows, 2)), dtype=torch.float32))
        for rows in (5, 7)
    ]
    for epoch in (1, 2):
        net.history.append({})
        warmup.on_epoch_begin(net)
        assert module.warmup is (epoch == 1)
        em_step.on_epoch_begin(net)
        for resp, sq_err in batches:
            module.batch_statistics = (resp, sq_err)
            em_step.on_batch_end(net, training=True)
            assert module.batch_statistics is None
        # A validation batch does not count.
        module.batch_statistics = batches[0]
        em_step.on_batch_end(net, training=False)
        em_step.on_epoch_end(net)
    resp = torch.cat([resp for resp, _ in batches])
    sq_err = torch.cat([sq_err for _, sq_err in batches])
    weights = resp.mean(0)
    np.testing.assert_allclose(module.log_weights.exp().numpy(), weights.numpy(), rtol=1e-6)
    var = (resp * sq_err).sum(0) / (3 * resp.sum(0))
    np.testing.assert_allclose(module.log_noise.numpy(), 0.5 * np.log(var.numpy()), rtol=1e-5)
    warmup.on_train_end(net)
    em_step.on_train_end(net)
    assert module.warmup is False and em_step.resp_sum_ is None


def test_auto_epochs_keep_the_training_steps_bounded_on_large_data():
    vae = StratifiedVAEMixture()
    assert vae.max_epochs == "auto"
    # 300 epochs up to 20 batches of 128 per epoch, then about 6,000 steps.
    assert vae._n_epochs(2000) == 300
    assert vae._n_epochs(2560) == 300
    assert vae._n_epochs(5000) == 150
    assert vae._n_epochs(20000) == 39
    assert vae._n_epochs(10**7) == 1
    assert StratifiedVAEMixture(max_epochs=7)._n_epochs(20000) == 7
    assert StratifiedVAEMixture(batch_size=1000)._n_epochs(20000) == 300


def test_decoder_noise_is_floored_at_the_ambient_noise_of_the_normal_directions():
    from sklearn_strata.mixture._vae_mixture import _MIN_DECODER_NOISE, _noise_floors

    # A square in R^20 with isotropic noise 0.05: the floor of a 2-d stratum is the noise
    # of its 18 normal directions spread over all 20, of a point mass the whole noise.
    rng = np.random.RandomState(0)
    clean = np.zeros((2000, 20))
    clean[:, :2] = rng.uniform(-1, 1, (2000, 2))
    X = clean + 0.05 * rng.randn(2000, 20)
    floors = np.array(_noise_floors(X, [2, 0], scale=1.0))
    np.testing.assert_allclose(floors, 0.05 * np.sqrt([18 / 20, 1.0]), rtol=0.05)
    # Noise-free data keep the fixed floor.
    assert _noise_floors(clean, [2], scale=1.0) == [_MIN_DECODER_NOISE]
    # A fit holds its stratum's floor (in standardised units) and learns no noise below it.
    vae = StratifiedVAEMixture(**{**FAST_VAE, "latent_dims": [2], "max_epochs": 5}).fit(X)
    floor = np.exp(vae.net_.module_.min_log_noise.numpy()) * vae.scale_
    np.testing.assert_allclose(floor, 0.05 * np.sqrt(18 / 20), rtol=0.05)
    assert vae.decoder_noise_[0] >= floor[0] * (1 - 1e-6)


def test_a_small_stratum_beside_a_large_one_is_learned_at_its_own_scale():
    # A circle of radius 0.5 and a segment of length 1 beside a disk of radius 5, noise
    # 0.01. In the common standardisation the small strata's decoders collapsed to their
    # means, with a noise level of their size (0.094 and 0.156); each component now works
    # in the frame of its own points.
    from sklearn_strata.datasets import make_scaled_strata

    X, y, space = make_scaled_strata(1500, noise=0.01, random_state=0, return_space=True)
    model = StratifiedVAEMixture(latent_dims=[2, 1, 1], random_state=0).fit(X)
    np.testing.assert_allclose(model.decoder_noise_, 0.01, rtol=0.5)
    frames = [c.spread for c in model.net_.module_.components]
    assert float(frames[1]) < 0.3 * float(frames[0])
    assert float(frames[2]) < 0.3 * float(frames[0])
    # Held-out points of the circle score like points of a curve with noise 0.01
    # (about 22 nats), not like a blob of its size (about 2).
    X_new, y_new = space.sample(600, noise=0.01, random_state=1)
    circle = y_new == 1
    assert np.median(model.score_samples(X_new[circle])) > 15


def test_log_likelihood_is_exact_for_a_linear_decoder_whatever_the_encoder():
    # x = W z + b + sigma * noise with z standard normal: x ~ N(b, W W^T + sigma^2 I).
    # An untrained encoder is far from the narrow posterior; the Laplace half of the
    # proposal is the exact posterior for a linear decoder.
    from scipy.stats import multivariate_normal

    from sklearn_strata.mixture._vae_network import VAEMixtureModule

    d, D, sigma = 6, 12, 0.02
    with torch.random.fork_rng():
        torch.manual_seed(0)
        module = VAEMixtureModule(D, [d], (16,))
        component = module.components[0]
        component.decoder = torch.nn.Sequential(torch.nn.Linear(d, D))
    with torch.no_grad():
        module.log_noise.fill_(np.log(sigma))
    W = component.decoder[0].weight.detach().double().numpy()
    b = component.decoder[0].bias.detach().double().numpy()
    rng = np.random.RandomState(0)
    X = rng.randn(300, d) @ W.T + b + sigma * rng.randn(300, D)
    exact = multivariate_normal(b, W @ W.T + sigma**2 * np.eye(D)).logpdf(X)
    generator = torch.Generator().manual_seed(0)
    eps = [torch.randn(32, d, generator=generator)]
    with torch.no_grad():
        estimate = module.component_log_likelihoods(
            torch.as_tensor(X, dtype=torch.float32), eps
        )[:, 0].double().numpy()
    assert np.mean(np.abs(estimate - exact)) < 0.05


def test_decoder_jacobian_matches_autograd_and_runs_in_threads():
    from concurrent.futures import ThreadPoolExecutor

    from sklearn_strata.mixture._vae_network import ComponentVAE, _decoder_jacobian

    with torch.random.fork_rng():
        torch.manual_seed(0)
        component = ComponentVAE(12, 3, (16, 8))
        z = torch.randn(40, 3)
    component.set_center(torch.zeros(12), 2.5)
    expected = torch.func.vmap(torch.func.jacfwd(component.decode))(z)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda rows: _decoder_jacobian(component, z[rows]),
                                [slice(i, i + 10) for i in range(0, 40, 10)]))
    torch.testing.assert_close(torch.cat(results), expected, rtol=1e-5, atol=1e-6)


def test_latent_prior_m_step_is_a_reparametrisation_to_the_aggregate_posterior():
    # Folding z = m + s u into the networks changes no reconstruction, and afterwards the
    # responsibility-weighted posterior moments are those of the standard normal prior.
    with torch.random.fork_rng():
        torch.manual_seed(0)
        module = VAEMixtureModule(5, [2, 3], (16,))
    x = torch.as_tensor(np.random.RandomState(0).randn(400, 5), dtype=torch.float32)
    resp = torch.zeros(400, 2)
    resp[:250, 0] = 1.0
    resp[250:, 1] = 1.0
    with torch.no_grad():
        before = [c.decode(c.encode(x)[0]) for c in module.components]
        module.fit_latent_priors(x, resp, batch_rows=128)
        for k, comp in enumerate(module.components):
            np.testing.assert_allclose(comp.decode(comp.encode(x)[0]), before[k], atol=1e-4)
            members = x[resp[:, k] == 1.0]
            mu, logvar = comp.encode(members)
            np.testing.assert_allclose(mu.mean(0), 0.0, atol=1e-4)
            np.testing.assert_allclose((mu**2 + logvar.exp()).mean(0) - mu.mean(0) ** 2, 1.0,
                                       rtol=1e-3)

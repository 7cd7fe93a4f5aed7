"""Charts: curved strata of the VAE mixture modelled by several nearly flat components."""

import pickle

import numpy as np
import pytest

from sklearn_strata.mixture import StratifiedVAEMixture
from sklearn_strata.mixture._charts import split_into_charts


def _circle(n, noise=0.01, seed=0):
    rng = np.random.RandomState(seed)
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.c_[np.cos(angle), np.sin(angle), np.zeros(n)] + noise * rng.randn(n, 3)
    return X, angle


def test_a_circle_is_split_into_four_arcs_and_a_segment_stays_whole():
    circle, angle = _circle(1000)
    rng = np.random.RandomState(1)
    segment = np.c_[rng.uniform(2, 4, 600), np.zeros(600), 0.01 * rng.randn(600)]
    X = np.r_[circle, segment]
    resp = np.zeros((1600, 2))
    resp[:1000, 0] = resp[1000:, 1] = 1.0
    dims, strata, chart_resp = split_into_charts(X, [1, 1], resp, max_charts=4, seed=0)
    assert dims == [1] * 5 and strata == [0, 0, 0, 0, 1]
    # Every point belongs to one chart of its own stratum; the arcs are contiguous.
    np.testing.assert_array_equal(chart_resp.sum(axis=1), 1.0)
    for chart in range(4):
        members = chart_resp[:1000, chart] == 1.0
        assert 150 < members.sum() < 400
        center = np.angle(np.exp(1j * angle[members]).mean())
        spread = np.angle(np.exp(1j * (angle[members] - center)))
        assert np.ptp(spread) < 0.75 * np.pi
    np.testing.assert_array_equal(chart_resp[1000:, 4], 1.0)


def test_charts_hold_fifty_points_per_latent_dimension():
    # 195 points: too few for two surface patches of 100, enough for two arcs of 50.
    circle, angle = _circle(195)
    dims, strata, chart_resp = split_into_charts(
        circle, [1], np.ones((195, 1)), max_charts=4, seed=0
    )
    assert len(dims) >= 2
    assert all(50 <= (chart_resp[:, k] == 1.0).sum() for k in range(len(dims)))
    rng = np.random.RandomState(0)
    sphere = rng.randn(195, 3)
    sphere /= np.linalg.norm(sphere, axis=1, keepdims=True)
    assert len(split_into_charts(sphere, [2], np.ones((195, 1)), 4, seed=0)[0]) == 1
    # A chart of a 5-dimensional stratum needs 250 points: 690 make two at most.
    sphere5 = rng.randn(690, 6)
    sphere5 /= np.linalg.norm(sphere5, axis=1, keepdims=True)
    dims5 = split_into_charts(sphere5, [5], np.ones((690, 1)), 4, seed=0)[0]
    assert len(dims5) == 2


def test_charts_share_soft_responsibilities_and_respect_the_cap():
    X, _ = _circle(1000)
    resp = np.zeros((1000, 2))
    resp[:, 0] = 1.0
    resp[:10] = 0.5  # undecided rows: shared by the stratum's charts
    dims, strata, chart_resp = split_into_charts(X, [1, 0], resp, max_charts=2, seed=0)
    assert dims == [1, 1, 0] and strata == [0, 0, 1]
    np.testing.assert_allclose(chart_resp[:10], [[0.25, 0.25, 0.5]] * 10)
    np.testing.assert_allclose(chart_resp.sum(axis=1), 1.0)
    assert split_into_charts(X, [1], resp[:, :1], max_charts=1, seed=0)[0] == [1]


@pytest.fixture(scope="module")
def circle_fits():
    X, _ = _circle(1200, noise=0.02)
    X_test, _ = _circle(400, noise=0.02, seed=1)
    common = dict(latent_dims=[1], hidden_dims=(32, 32), max_epochs=150, random_state=0)
    charts = StratifiedVAEMixture(**common).fit(X)
    single = StratifiedVAEMixture(max_charts=1, **common).fit(X)
    return X, X_test, charts, single


def test_charts_fit_a_closed_stratum_better_than_one_component(circle_fits):
    X, X_test, charts, single = circle_fits
    assert charts.n_charts_.tolist() == [4] and single.n_charts_.tolist() == [1]
    # Measured: 3.10 against -0.54 nats per point.
    assert charts.score(X_test) > single.score(X_test) + 2.0
    # The samples of the charts lie on the circle about as closely as the data (1.08
    # times its distance); one decoder leaves a seam off it (11 times).
    distance = {}
    for name, model in [("charts", charts), ("single", single)]:
        samples, labels = model.sample(2000, random_state=0)
        distance[name] = np.median(np.abs(np.linalg.norm(samples[:, :2], axis=1) - 1.0))
        np.testing.assert_array_equal(labels, 0)
    data = np.median(np.abs(np.linalg.norm(X_test[:, :2], axis=1) - 1.0))
    assert distance["charts"] < 1.2 * data
    assert distance["single"] > 3.0 * data


def test_the_charts_of_a_stratum_act_as_one_component(circle_fits):
    X, _, charts, _ = circle_fits
    assert charts.n_components_ == 1 and charts.latent_dims_ == [1]
    assert charts.chart_weights_.shape == (4,)
    np.testing.assert_allclose(charts.weights_, [1.0])
    assert charts.decoder_noise_.shape == (1,)
    np.testing.assert_allclose(charts.predict_proba(X[:20]), 1.0)
    np.testing.assert_array_equal(charts.predict(X[:20]), 0)
    samples, labels = charts.sample(50, component=0, random_state=0)
    assert samples.shape == (50, 3)
    restored = pickle.loads(pickle.dumps(charts))
    np.testing.assert_array_equal(restored.score_samples(X[:20]), charts.score_samples(X[:20]))


def test_mixture_pickled_before_charts_still_scores(circle_fits):
    X, _, _, single = circle_fits
    state = pickle.loads(pickle.dumps(single)).__getstate__()
    for name in ("max_charts", "n_charts_", "chart_weights_", "_chart_strata"):
        del state[name]
    old = StratifiedVAEMixture.__new__(StratifiedVAEMixture)
    old.__setstate__(state)
    del old.net_.module_._buffers["chart_strata"]
    assert old.max_charts == 1
    np.testing.assert_array_equal(old.score_samples(X[:20]), single.score_samples(X[:20]))
    np.testing.assert_array_equal(
        old.sample(10, random_state=0)[0], single.sample(10, random_state=0)[0]
    )


def test_a_latent_dimension_above_the_stratum_splits_nothing():
    # A noisy flat disk in R^10 modelled with 3 latent dimensions (a sieve candidate): its
    # 3rd and 4th principal variances are both noise, not a bend.
    rng = np.random.RandomState(0)
    radius, angle = np.sqrt(rng.uniform(size=1000)), rng.uniform(0, 2 * np.pi, 1000)
    X = np.zeros((1000, 10))
    X[:, 0], X[:, 1] = radius * np.cos(angle), radius * np.sin(angle)
    X += 0.02 * rng.randn(1000, 10)
    resp = np.ones((1000, 1))
    for dim in (2, 3):
        assert split_into_charts(X, [dim], resp, max_charts=4, seed=0)[0] == [dim]


def test_a_flat_ring_is_split_but_a_flat_disk_and_a_high_dimensional_cube_are_not():
    # A flat annulus (radii 1.5 to 2.5) has no bend in a third principal direction, but
    # its mean lies in its hole: one decoder cannot cover it without a seam.
    rng = np.random.RandomState(0)
    n = 1200
    radius, angle = rng.uniform(1.5, 2.5, n), rng.uniform(0, 2 * np.pi, n)
    ring = np.c_[radius * np.cos(angle), radius * np.sin(angle), 0.01 * rng.randn(n)]
    dims, _, chart_resp = split_into_charts(ring, [2], np.ones((n, 1)), 4, seed=0)
    assert len(dims) >= 2
    for chart in range(len(dims)):
        # Each chart is an arc of the ring, not the whole of it.
        members = chart_resp[:, chart] == 1.0
        center = np.angle(np.exp(1j * angle[members]).mean())
        assert np.ptp(np.angle(np.exp(1j * (angle[members] - center)))) < 1.2 * np.pi
    disk_radius = 2.5 * np.sqrt(rng.uniform(size=n))
    disk = np.c_[disk_radius * np.cos(angle), disk_radius * np.sin(angle), 0.01 * rng.randn(n)]
    assert split_into_charts(disk, [2], np.ones((n, 1)), 4, seed=0)[0] == [2]
    # In 20 dimensions every point is far from the cube's center, and from the others.
    cube = np.c_[rng.uniform(-1, 1, (2000, 20)), 0.01 * rng.randn(2000, 20)]
    assert split_into_charts(cube, [20], np.ones((2000, 1)), 4, seed=0)[0] == [20]

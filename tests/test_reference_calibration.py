"""Sample-size calibration of the neighbor-distance reference."""

import numpy as np
import pytest

from sklearn_strata.dimension._calibration import (
    calibrate_reference,
    reference_curve,
    simulate_reference_means,
)
from sklearn_strata.dimension._calibration_table import DIMENSIONS, MEAN_REFERENCE, SAMPLE_SIZES
from sklearn_strata.dimension._reference import NeighborDistanceReference, noise_reach


def test_shipped_table_matches_a_fresh_simulation():
    # Other draws than the table's: the shipped means are steady, not one lucky draw (the
    # mean of one draw scatters by several percent in 10 dimensions and more).
    dims = [3, 10, 20]
    fresh = simulate_reference_means(500, dims, n_repeats=40, seed=1)
    row = MEAN_REFERENCE[list(SAMPLE_SIZES).index(500)]
    shipped = row[[list(DIMENSIONS).index(d) for d in dims]]
    np.testing.assert_allclose(fresh, shipped, rtol=0.04)
    # The bias the table corrects is real: 20 dimensions read well below 20.
    assert shipped[-1] < 17


def test_calibration_inverts_the_curve_and_keeps_low_dimensions():
    for n in (150, 2500, 50000):
        dims, means = reference_curve(n)
        assert np.all(np.diff(means) > 0)
        np.testing.assert_allclose(calibrate_reference(means, n), dims, atol=1e-6)
    low = np.linspace(0.5, 4.0, 15)
    assert np.max(np.abs(calibrate_reference(low, 2500) - low)) < 0.2
    # Linear through 0 below one dimension, increasing beyond the simulated range.
    assert calibrate_reference(np.array([0.0]), 2500)[0] == 0.0
    far = calibrate_reference(np.array([200.0, 300.0]), 2500)
    assert far[0] > DIMENSIONS[-1] and far[1] > far[0]


@pytest.mark.parametrize("shape", ["cube", "normal"])
def test_calibrated_reference_reads_a_20_dimensional_cloud_within_10_percent(shape):
    rng = np.random.RandomState(0)
    latent = rng.uniform(-1, 1, (2500, 20)) if shape == "cube" else rng.standard_normal((2500, 20))
    basis = np.linalg.qr(rng.standard_normal((60, 20)))[0]
    X = latent @ basis.T
    # The calibration alone (the principal count would make a flat cloud exact).
    raw = NeighborDistanceReference(calibrate=False, local_pca=False).fit(X).reference_.mean()
    calibrated = NeighborDistanceReference(local_pca=False).fit(X).reference_.mean()
    assert raw < 17.0
    assert abs(calibrated - 20) / 20 < 0.1
    # New points pooled from the same training set get the same correction.
    new = NeighborDistanceReference(local_pca=False).fit(X).predict(X[:50] + 1e-3)[0]
    assert abs(new.mean() - 20) / 20 < 0.15


def test_the_sampling_scale_is_the_distance_the_reference_is_made_of():
    # The second neighbor's distance (the larger of TwoNN's two): where it lies within the
    # reach of the ambient noise, the reference measures the noise, and a noisy helix
    # sampled sparsely read 4-6 there.
    rng = np.random.RandomState(0)
    t = np.sort(rng.uniform(0, 6 * np.pi, 400))
    helix = np.c_[np.cos(t), np.sin(t), 0.1 * t, np.zeros((400, 7))]
    noisy = helix + 0.01 * rng.standard_normal(helix.shape)
    reference = NeighborDistanceReference().fit(noisy)
    distances = np.sort(np.linalg.norm(noisy[:, None] - noisy[None], axis=2), axis=1)
    np.testing.assert_allclose(reference.sampling_scale_, distances[:, 2])
    # New points count every training point as a neighbor.
    _, scale, _ = reference.predict(noisy[:5] + 1e-3)
    new_distances = np.sort(np.linalg.norm((noisy[:5] + 1e-3)[:, None] - noisy[None], axis=2))
    np.testing.assert_allclose(scale, new_distances[:, 2])
    assert np.median(reference.sampling_scale_) < noise_reach(noisy)

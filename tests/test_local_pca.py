"""The principal count: the reference's correction on flat strata of high dimension."""

import pickle

import numpy as np

from sklearn_strata.dimension._local_pca import flat_dimension, principal_count
from sklearn_strata.dimension._reference import NeighborDistanceReference


def _embedded(latent, ambient_dim, seed=0):
    rng = np.random.RandomState(seed)
    basis = np.linalg.qr(rng.standard_normal((ambient_dim, latent.shape[1])))[0]
    return latent @ basis.T


def test_principal_count_is_the_span_of_each_neighborhood():
    rng = np.random.RandomState(0)
    X = np.hstack([rng.uniform(size=(300, 3)), np.zeros((300, 4))])
    indices = np.tile(np.arange(100), (5, 1)) + 40 * np.arange(5)[:, None]
    np.testing.assert_array_equal(principal_count(X, indices), 3)


def test_flat_cube_of_20_dimensions_reads_exactly_20():
    rng = np.random.RandomState(0)
    X = _embedded(rng.uniform(-1, 1, (2500, 20)), 60)
    without = NeighborDistanceReference(local_pca=False).fit(X)
    with_count = NeighborDistanceReference().fit(X)
    # The calibrated neighbor distances alone scatter around 20 (and read the cube low:
    # its density has corners the calibration's normal lacks); the count is exact.
    assert np.mean(np.round(without.reference_) == 20) < 0.5
    assert np.mean(np.round(with_count.reference_) == 20) > 0.97
    assert np.isfinite(with_count.flat_dimension_).mean() > 0.9
    new = with_count.predict(X[:50] + 1e-3)[0]
    assert np.mean(np.round(new) == 20) > 0.95


def test_curved_strata_keep_the_neighbor_distance_estimate():
    # A flat 12-torus embedded in R^24 (product of 12 circles), sampled so sparsely that
    # the neighbor distances already read it high (about 17): every neighborhood spans
    # the 12 normals too, and the count (24) is out of the bias range.
    rng = np.random.RandomState(0)
    angles = rng.uniform(0, 2 * np.pi, (2500, 12))
    X = np.hstack([np.cos(angles), np.sin(angles)])
    fitted = NeighborDistanceReference().fit(X)
    alone = NeighborDistanceReference(local_pca=False).fit(X).reference_
    assert alone.mean() > 10
    assert np.isfinite(fitted.flat_dimension_).mean() < 0.1
    assert abs(fitted.reference_.mean() - alone.mean()) < 0.2


def test_low_dimensions_are_not_counted():
    rng = np.random.RandomState(0)
    X = _embedded(rng.uniform(size=(1000, 3)), 10)
    reference = NeighborDistanceReference(local_pca=False).fit(X).reference_
    assert np.isnan(flat_dimension(X, reference, np.arange(1000)[:, None])).all()


def test_reference_pickled_before_the_count_keeps_its_values():
    rng = np.random.RandomState(0)
    X = _embedded(rng.uniform(-1, 1, (1500, 20)), 40)
    old = NeighborDistanceReference(local_pca=False).fit(X)
    state = old.__dict__.copy()
    del state["local_pca"], state["flat_dimension_"]
    restored = NeighborDistanceReference.__new__(NeighborDistanceReference)
    restored.__setstate__(state)
    assert restored.local_pca is False
    np.testing.assert_array_equal(restored.predict(X[:20])[0], old.predict(X[:20])[0])
    assert pickle.loads(pickle.dumps(restored)).local_pca is False

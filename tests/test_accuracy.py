"""Accuracy of the score engine and the stratum counter on ground-truth presets.

Every preset is fitted once per test process (``tests/_fitted.py``) and read by both the
dimension and the strata tests. Thresholds are the ones the project promises, with fixed
seeds.
"""

import copy
import warnings

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from sklearn_strata import ScoreDimensionEstimator, StratumCounter

from ._fitted import FIT_WARNINGS, dimension_estimator, preset


def _on_one_worker(cases, noise_of=lambda case: case[1]):
    """Parameters marked so that each preset's tests share one xdist worker.

    ``make test`` runs ``pytest -n 2 --dist loadgroup``: a preset's fit (20-30 s) is then
    made once for all the tests that read it, instead of once per worker.
    """
    return [
        pytest.param(*case, marks=pytest.mark.xdist_group(f"{case[0]}-{noise_of(case)}"))
        for case in cases
    ]


DIMENSION_CASES = [
    ("lollipop", 0.0),
    ("sphere_line", 0.0),
    ("lollipop", 0.01),
    ("sphere_line", 0.01),
]


@pytest.mark.parametrize("name, noise", _on_one_worker(DIMENSION_CASES))
def test_local_dimension_accuracy_in_r10(name, noise):
    X, y, space = preset(name, noise=noise)
    estimator = dimension_estimator(name, noise=noise)
    true = space.pointwise_dimension(y)
    accuracy = np.mean(estimator.dimension_pw_ == true)
    assert accuracy >= 0.95, f"{name} noise={noise}: accuracy {accuracy:.3f}"
    # New points from the same space are read as well as the training points.
    X_new, y_new = space.sample(300, noise=noise, random_state=1)
    new_accuracy = np.mean(estimator.transform(X_new)[:, 0] == space.pointwise_dimension(y_new))
    assert new_accuracy >= 0.95, f"{name} noise={noise}: new-point accuracy {new_accuracy:.3f}"


ALL_PRESETS = sorted({(name, noise) for name, noise in DIMENSION_CASES}
                     | {(name, 0.0) for name in ["string_in_doughnut", "line_disk_ball",
                                                 "disjoint_circles", "crossing_planes"]})


@pytest.mark.parametrize("name, noise", _on_one_worker(ALL_PRESETS))
def test_reliability_is_silent_and_high_on_every_preset(name, noise):
    estimator = dimension_estimator(name, noise=noise)
    assert FIT_WARNINGS[(name, 3000, 10, noise, 0)] == []
    assert np.mean(estimator.dimension_confidence_ >= 0.5) >= 0.9
    assert estimator.denoising_gain_ > 0.1


@pytest.mark.xdist_group("sphere_line-0.01")
def test_a_field_reading_the_span_everywhere_on_noisy_data_is_confident_nowhere():
    # The noisy sphere-line reads the sphere and the line, not its 3-d span: not flagged.
    X, _, _ = preset("sphere_line", noise=0.01)
    estimator = copy.deepcopy(dimension_estimator("sphere_line", noise=0.01))
    assert estimator._noise_reach > 0 and not estimator._reads_span
    transformed = estimator.transform(X[:500])
    assert np.mean(estimator.confidence(X[:500]) >= 0.5) > 0.9
    # Flagged, as fit flags an unreliable field reading the span at nearly every point,
    # every confidence is 0; the dimensions stand, but for the few the sampling-scale
    # check then lowers to the span of their nearest points.
    estimator._reads_span = True
    np.testing.assert_array_equal(estimator.confidence(X[:500]), 0.0)
    flagged = estimator.transform(X[:500])
    assert np.all(flagged <= transformed)
    assert np.mean(flagged == transformed) > 0.98


STRATA_CASES = [
    ("lollipop", [2, 1, 0]),
    ("sphere_line", [2, 1]),
    ("string_in_doughnut", [2, 1]),
    ("line_disk_ball", [3, 2, 1]),
    ("disjoint_circles", [1, 1]),
    # Two planes of the same dimension crossing along a line: told apart by the tangent split.
    ("crossing_planes", [2, 2]),
]


@pytest.mark.parametrize("name, true_dims", _on_one_worker(STRATA_CASES, lambda case: 0.0))
def test_stratum_counter_finds_count_dimensions_and_labels(name, true_dims):
    X, y, _ = preset(name)
    counter = StratumCounter(dimension_estimator(name)).fit(X)
    assert counter.n_strata_ == len(true_dims)
    assert sorted(counter.strata_dims_.tolist()) == sorted(true_dims)
    labelled = counter.labels_ != -1
    assert labelled.mean() >= 0.8
    assert adjusted_rand_score(y[labelled], counter.labels_[labelled]) >= 0.9


def test_constant_coordinates_read_as_well():
    """Five constant columns change no local dimension."""
    X, y, space = preset("lollipop", noise=0.01)
    X = np.c_[X, np.full((X.shape[0], 5), 3.0)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        estimator = ScoreDimensionEstimator(random_state=0).fit(X)
    accuracy = np.mean(estimator.dimension_pw_ == space.pointwise_dimension(y))
    assert accuracy >= 0.97, accuracy


def test_strata_of_very_different_sizes_read_right():
    """A disk of radius 5 and, with a tenth of the points each, a circle of radius 0.5
    and a segment of length 1: the small circle, read at the disk's level, looks
    2-dimensional; its systematic over-reading gives way to the neighbor distances."""
    X, y, space = preset("scaled_strata")
    estimator = dimension_estimator("scaled_strata")
    accuracy = np.mean(estimator.dimension_pw_ == space.pointwise_dimension(y))
    assert accuracy >= 0.97, accuracy
    assert FIT_WARNINGS[("scaled_strata", 3000, 10, 0.0, 0)] == []

"""The score field's own reliability: per-point confidence, fallback and warnings.

Accuracy on the presets and the silence of the warnings there are checked in
``test_accuracy.py`` (they share its fitted models).
"""

import warnings

import numpy as np
import pytest

from sklearn_strata import ScoreDiffusionDensity, ScoreDimensionEstimator
from sklearn_strata.datasets import make_lollipop, make_sphere_line_cube
from sklearn_strata.dimension._confidence import resolve_readings
from sklearn_strata.dimension._noise_level import max_reading_level, select_level
from sklearn_strata.dimension._reference import noise_reach


def sphere_line_cube(n_samples=3000, noise=0.0, seed=0):
    """A 2-sphere pierced by a line, and apart from them a solid 4-cube, in ``R^12``."""
    X, y, space = make_sphere_line_cube(n_samples, ambient_dim=12, noise=noise,
                                        random_state=seed, return_space=True)
    return X, space.pointwise_dimension(y)


def test_under_trained_model_warns_and_says_what_to_try():
    X, y, space = make_lollipop(1000, ambient_dim=10, random_state=0, return_space=True)
    model = ScoreDiffusionDensity(max_epochs=1, random_state=0)
    with pytest.warns(UserWarning, match="no better than a Gaussian.*max_epochs"):
        estimator = ScoreDimensionEstimator(model, random_state=0).fit(X)
    assert estimator.denoising_gain_ < 0.05
    assert not estimator.field_reliable_
    # Its readings are the principal subspace's dimension: those the distances to the
    # neighbors contradict are not called reliable (the stick's, away from the disk).
    correct = estimator.dimension_pw_ == space.pointwise_dimension(y)
    confident = estimator.dimension_confidence_ >= 0.5
    assert confident.mean() < 0.8
    assert correct[confident].mean() >= 0.9


def test_a_linear_field_is_confident_only_where_the_reference_agrees():
    # A flat 3-dimensional region (reference ~3), and a region whose neighbors spread
    # over more dimensions than the principal subspace the linear field reads.
    readings = np.array([3.0, 3.0, 3.0, 3.0])
    margin = np.full(4, 0.4)
    reference = np.array([2.8, 3.3, 5.5, 6.0])
    args = (readings, margin, reference, np.zeros(4, bool), True)
    _, confidence = resolve_readings(*args, noisy=False, linear_field=True)
    np.testing.assert_allclose(confidence, [1.0, 1.0, 0.0, 0.0])
    # With ambient noise the reference is inflated and confirms nothing.
    _, confidence = resolve_readings(*args, noisy=True, linear_field=True)
    np.testing.assert_allclose(confidence, [0.0, 0.0, 0.0, 0.0])
    _, confidence = resolve_readings(*args, linear_field=False)
    np.testing.assert_allclose(confidence, [1.0, 1.0, 1.0, 1.0])


def test_confident_points_are_right_more_often_on_a_case_with_errors():
    X, true = sphere_line_cube()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        estimator = ScoreDimensionEstimator(random_state=0).fit(X)
    correct = estimator.dimension_pw_ == true
    confident = estimator.dimension_confidence_ >= 0.5
    assert correct.mean() >= 0.95
    assert 0.5 < confident.mean() < 1.0
    assert correct[confident].mean() >= 0.98
    # Errors are at least five times as frequent among the other points.
    assert 5 * (1 - correct[confident].mean()) < 1 - correct[~confident].mean()
    # The transform side gives the training points their training confidence.
    # (float32 networks round a few ulps differently in other batch shapes)
    np.testing.assert_allclose(
        estimator.confidence(X[:200]), estimator.dimension_confidence_[:200], atol=1e-5
    )
    np.testing.assert_array_equal(estimator.transform(X[:200])[:, 0],
                                  estimator.dimension_pw_[:200])


def test_collapsed_readings_give_way_to_the_neighbor_distances():
    # A field that could not resolve a 20-dimensional cloud reads ~0 at its level.
    readings = np.array([0.0, 0.0, 1.0, 2.0, 2.0])
    margin = np.full(5, 0.4)
    reference = np.array([14.2, 15.1, 14.8, 2.3, 2.3])
    beyond_noise = np.array([True, True, True, True, False])
    dims, confidence = resolve_readings(readings, margin, reference, beyond_noise, False)
    np.testing.assert_array_equal(dims, [14.0, 15.0, 15.0, 2.0, 2.0])
    np.testing.assert_allclose(confidence, [0.0, 0.0, 0.0, 1.0, 1.0])
    # A reliable field is never overruled.
    dims, confidence = resolve_readings(readings, margin, reference, beyond_noise, True)
    np.testing.assert_array_equal(dims, readings)
    # Nor within the reach of the ambient noise (there the neighbors measure the noise).
    dims, _ = resolve_readings(readings, margin, reference, np.zeros(5, bool), False)
    np.testing.assert_array_equal(dims, readings)
    # Nor where the nearest training points span no more directions than the reading.
    no_collapse = np.array([False, False, True, False, False])
    dims, confidence = resolve_readings(readings, margin, reference, beyond_noise, False,
                                        no_collapse=no_collapse)
    np.testing.assert_array_equal(dims, [14.0, 15.0, 1.0, 2.0, 2.0])
    np.testing.assert_allclose(confidence, [0.0, 0.0, 1.0, 1.0, 1.0])


def test_unreliable_field_keeps_readings_above_the_reference_unless_they_fill_the_span():
    # A 10-dimensional stratum that is small for its dimension: the reference reads it
    # low (7.4-7.6), the field right (10), in data spanning 16 directions.
    readings = np.array([10.0, 10.0])
    reference = np.array([7.4, 7.6])
    dims, confidence = resolve_readings(readings, np.full(2, 0.1), reference, np.ones(2, bool),
                                        False, noisy=False, span=16)
    np.testing.assert_array_equal(dims, readings)
    # Above the reference by more than its tolerance: they stand, but are not trusted.
    np.testing.assert_allclose(confidence, 0.0)
    # A curved 2-d stratum in a 3-d span read as 3: where that exceeds the reference by
    # more than 0.5 (even within the over-reading tolerance, as at 2.2), the field
    # resolved no normal direction.
    readings = np.array([3.0, 3.0, 3.0])
    reference = np.array([2.0, 2.2, 2.6])
    args = (readings, np.full(3, 0.4), reference, np.ones(3, bool))
    dims, confidence = resolve_readings(*args, False, noisy=False, span=3)
    np.testing.assert_array_equal(dims, [2.0, 2.0, 3.0])
    # The reading that rounds to its reference is confirmed.
    np.testing.assert_allclose(confidence, [0.0, 0.0, 1.0])
    # A reliable field keeps both; without a span the over-reading stands too.
    for reliable, span in [(True, 3), (False, None)]:
        dims, _ = resolve_readings(*args, reliable, noisy=False, span=span)
        np.testing.assert_array_equal(dims, readings)
    # Readings the nearest training points confirm (a small 3-ball filling the span, read
    # low by the reference near its surface) stand.
    dims, _ = resolve_readings(*args, False, noisy=False, span=3,
                               over_confirmed=np.array([True, False, False]))
    np.testing.assert_array_equal(dims, [3.0, 2.0, 3.0])


def test_confirmed_systematic_over_readings_are_not_replaced():
    readings, reference = np.full(3, 3.0), np.full(3, 1.9)
    args = (readings, np.full(3, 0.4), reference, np.ones(3, bool), True)
    dims, confidence = resolve_readings(*args, over_share=np.ones(3))
    np.testing.assert_array_equal(dims, [2.0, 2.0, 2.0])
    dims, confidence = resolve_readings(*args, over_share=np.ones(3),
                                        over_confirmed=np.array([True, True, False]))
    np.testing.assert_array_equal(dims, [3.0, 3.0, 2.0])
    # Still above the reference: not trusted.
    np.testing.assert_allclose(confidence, 0.0)


def test_unreliable_field_on_clean_data_is_confident_only_where_the_reference_agrees():
    readings = np.array([1.0, 1.0, 2.0, 2.0])
    margin = np.full(4, 0.4)
    reference = np.array([1.7, 1.2, 2.3, 1.45])
    args = (readings, margin, reference, np.ones(4, bool))
    # Within the tolerance, so not replaced; but only the readings that round to the
    # reference keep their confidence.
    dims, confidence = resolve_readings(*args, False, noisy=False)
    np.testing.assert_array_equal(dims, readings)
    np.testing.assert_allclose(confidence, [0.0, 1.0, 1.0, 0.0])
    # Ambient noise inflates the reference: it cannot overrule there, nor on a reliable field.
    for reliable, noisy in [(False, True), (True, False)]:
        _, confidence = resolve_readings(*args, reliable, noisy=noisy)
        np.testing.assert_allclose(confidence, 1.0)


def test_systematic_over_reading_gives_way_to_the_reference():
    readings = np.array([2.0, 2.0, 2.0])
    margin = np.full(3, 0.4)
    reference = np.array([1.0, 1.1, 1.0])
    # Shared by the neighbors: a stratum read too coarsely.
    dims, confidence = resolve_readings(readings, margin, reference, np.ones(3, bool), True,
                                        over_share=np.array([0.9, 0.95, 0.5]))
    np.testing.assert_array_equal(dims, [1.0, 1.0, 2.0])
    # Every over-reading loses its confidence; a lone one (a junction) keeps its value.
    np.testing.assert_array_equal(confidence, [0.0, 0.0, 0.0])


def test_systematic_collapse_of_a_clean_field_gives_way_on_noise_free_data():
    # A 9-dimensional paraboloid read 1 everywhere with clean margins (BenchmarkManifolds).
    readings = np.array([1.0, 1.0, 1.0, 8.0])
    margin = np.full(4, 0.4)
    reference = np.array([7.6, 7.4, 7.5, 7.5])
    share = np.array([0.95, 0.9, 0.5, 0.9])
    args = (readings, margin, reference, np.ones(4, bool), True)
    dims, confidence = resolve_readings(*args, noisy=False, collapse_share=share)
    np.testing.assert_array_equal(dims, [8.0, 7.0, 1.0, 8.0])
    np.testing.assert_array_equal(confidence, [0.0, 0.0, 1.0, 1.0])
    # With ambient noise the reference is inflated: a clean field is trusted.
    dims, _ = resolve_readings(*args, noisy=True, collapse_share=share)
    np.testing.assert_array_equal(dims, readings)
    # Without the neighbors' shares (an estimator fitted before the check), nothing moves.
    dims, _ = resolve_readings(*args, noisy=False)
    np.testing.assert_array_equal(dims, readings)


def test_noise_reach_tells_noise_from_a_smooth_trailing_structure():
    rng = np.random.RandomState(0)
    t = rng.uniform(0, 2 * np.pi, 2000)
    circle = np.c_[np.cos(t), np.sin(t)]
    noisy = np.c_[circle, np.zeros((2000, 6))] + 0.01 * rng.standard_normal((2000, 8))
    reach = noise_reach(noisy)
    assert 2 * 0.01 * np.sqrt(16) * 0.8 < reach < 2 * 0.01 * np.sqrt(16) * 1.2
    # Small trailing coordinates that are smooth functions of the angle are no noise.
    smooth = np.c_[circle, 0.02 * np.c_[np.sin(3 * t), np.cos(5 * t), np.sin(7 * t),
                                        np.cos(9 * t), np.sin(11 * t), np.cos(13 * t)]]
    assert noise_reach(smooth) == 0.0


def test_level_selection_skips_levels_that_blur_the_whole_data():
    # Readings of 2 with modest margins at small levels; at the top level (the data's
    # spread) most points read 0 with large margins, the blob of the whole data set.
    levels = np.array([0.05, 0.1, 0.2, 1.0])
    dimensions = np.array([[2.0] * 10, [2.0] * 10, [2.0] * 10, [0.0] * 8 + [2.0] * 2])
    margins = np.array([[0.1] * 10, [0.2] * 10, [0.15] * 10, [0.4] * 10])
    assert select_level(dimensions, margins, 12)[0] == 3
    cap = max_reading_level(data_scale=1.0, neighborhood_radius=2.0)
    assert cap == 0.5
    assert select_level(dimensions, margins, 12, levels=levels, max_level=cap)[0] == 1
    # The neighborhood radius caps it too (the scale of the reference's neighborhoods).
    assert max_reading_level(data_scale=1.0, neighborhood_radius=0.08) == 0.08
    assert select_level(dimensions, margins, 12, levels=levels, max_level=0.08)[0] == 0
    # When every level is that coarse, one is still chosen.
    assert select_level(dimensions, margins, 12, levels=levels + 1.0, max_level=cap)[0] == 3


def test_agreement_confidence_falls_where_neighbors_read_other_dimensions():
    from sklearn_strata.dimension._confidence import agreement_confidence

    dimensions = np.array([2.0, 2.0, 3.0])
    neighbors = np.array([[2.0] * 10, [2.0] * 8 + [3.0] * 2, [3.0] * 5 + [2.0] * 5])
    np.testing.assert_allclose(agreement_confidence(dimensions, neighbors), [1.0, 0.5, 0.0])


def test_persistence_level_is_finer_and_clear_of_the_noise():
    from sklearn_strata.dimension._confidence import persistence_level

    levels = np.geomspace(0.1, 1.0, 12)
    # The largest level at most level / 1.8, at least twice the noise.
    assert persistence_level(levels, 0.5, 0.05) == pytest.approx(levels[levels <= 0.5 / 1.8].max())
    assert persistence_level(levels, 0.5, 0.2) is None  # every finer level is in the noise
    assert persistence_level(levels, 0.15, 0.01) is None  # no level that much finer
    assert persistence_level(levels, 0.5, 0.0) is None  # no ambient noise


def noisy_doughnut_estimator():
    """A tiny model of a noisy torus with its core circle in R^10, read automatically.

    Ambient noise is detected, and the model reads at the bottom of its grid, where no
    finer level is clear of the noise.
    """
    from sklearn_strata.datasets import make_string_in_doughnut

    X, _ = make_string_in_doughnut(600, ambient_dim=10, noise=0.05, random_state=0)
    model = ScoreDiffusionDensity(hidden_width=64, n_blocks=1, max_epochs=40, batch_size=256,
                                  lr=2e-3, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        estimator = ScoreDimensionEstimator(model, random_state=0).fit(X)
    return X, model, estimator


def test_reads_whole_span_needs_nearly_every_reading_at_the_span():
    from sklearn_strata.dimension._confidence import reads_whole_span

    assert reads_whole_span([3] * 9 + [2], 3)
    assert not reads_whole_span([3] * 6 + [2] * 4, 3)  # the lollipop's disk: 61%
    assert not reads_whole_span([3] * 10, None)


def test_span_warning_says_what_it_saw_and_what_to_try():
    from sklearn_strata.dimension._confidence import warn_if_span_read

    with pytest.warns(UserWarning, match=r"whole principal subspace.*\(3 directions\) at 90%.*"
                      r"more samples, a larger max_epochs"):
        warn_if_span_read(True, 3, [3] * 9 + [2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_span_read(False, 3, [3] * 10)


def test_readings_that_change_at_the_persistence_level_get_confidence_0():
    X, model, estimator = noisy_doughnut_estimator()
    assert estimator._noise_reach > 0
    assert estimator._persistence_level is None
    unchecked = estimator.confidence(X)
    np.testing.assert_allclose(unchecked, estimator.dimension_confidence_, atol=1e-5)
    # Checked at another level (the mechanism does not depend on which): the readings
    # that change there get 0, the others keep their confidence; transform is unchanged.
    readings = estimator._read(X, estimator.noise_level_)[0]
    for level in estimator.noise_level_curve_["levels"]:
        changed = estimator._read(X, level)[0] != readings
        if 0.05 < changed.mean() < 0.95:
            break
    assert 0.05 < changed.mean() < 0.95
    estimator._persistence_level = float(level)
    checked = estimator.confidence(X)
    np.testing.assert_array_equal(checked[changed], 0.0)
    np.testing.assert_allclose(checked[~changed], unchecked[~changed], atol=1e-5)
    np.testing.assert_array_equal(estimator.transform(X)[:, 0], estimator.dimension_pw_)
    # With a given level nothing is checked at another one.
    given = ScoreDimensionEstimator(model, noise_level=0.2, random_state=0).fit(X)
    assert given._persistence_level is None


def test_an_unreliable_field_needs_more_reliable_points_to_stay_silent():
    from sklearn_strata.dimension._confidence import warn_if_unreliable

    confidence = np.r_[np.ones(55), np.zeros(45)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_unreliable(confidence, {}, reliable_field=True)
    with pytest.warns(UserWarning, match="only 55% of the training points are reliable"):
        warn_if_unreliable(confidence, {}, reliable_field=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_unreliable(np.r_[np.ones(65), np.zeros(35)], {}, reliable_field=False)

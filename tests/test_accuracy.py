"""Accuracy of the score engine and the stratum counter on ground-truth presets.

Every preset is fitted once per test process (``tests/_fitted.py``) and read by both the
dimension and the strata tests. Thresholds are the ones the project promises, with fixed
seeds.
"""

import numpy as np
import pytest

from ._fitted import dimension_estimator, preset

DIMENSION_CASES = [
    ("lollipop", 0.0),
    ("sphere_line", 0.0),
    ("lollipop", 0.01),
    ("sphere_line", 0.01),
]


@pytest.mark.parametrize("name, noise", DIMENSION_CASES)
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

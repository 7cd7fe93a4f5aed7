"""geomstats 2.8.0 on numpy releases without ``numpy.trapz``, and geomstats kept out of the
estimators.

geomstats 2.8.0 imports ``numpy.trapz``, removed in numpy 2.4;
``sklearn_strata.datasets._geomstats_compat`` works around it. These tests run in the
regular suite (numpy 2.0-2.3 there: the removal is simulated in a subprocess) and in
``make test-newest-numpy``, which runs them on the newest numpy the registry serves.
"""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from sklearn_strata.datasets import Cube, Sphere, Torus, make_lollipop
from sklearn_strata.datasets._geomstats_compat import import_geomstats

from ._fast import FAST_DIFFUSION


def _run_python(code):
    """Run ``code`` in a fresh interpreter and return its stdout; fail with its stderr."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


# Makes a fresh interpreter's numpy look like numpy 2.4's, which has no ``trapz``.
WITHOUT_TRAPZ = """
import numpy as np

if hasattr(np, "trapz"):
    del np.trapz
    np.__all__ = [name for name in np.__all__ if name != "trapz"]
"""


def test_import_geomstats_leaves_numpy_as_it_was():
    had_trapz = hasattr(np, "trapz")
    hypersphere = import_geomstats("geomstats.geometry.hypersphere")
    assert hasattr(np, "trapz") == had_trapz
    sphere = hypersphere.Hypersphere(2, equip=False)
    assert np.all(sphere.belongs(sphere.random_uniform(5), atol=1e-10))
    # The backend's trapz is numpy's trapezoid (numpy's deprecated trapz before 2.4).
    gs = import_geomstats("geomstats.backend")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert gs.trapz(np.array([1.0, 2.0, 3.0])) == pytest.approx(4.0)


def test_geomstats_2_8_needs_numpy_trapz():
    # What the workaround is for: a plain import fails where numpy has no trapz. A geomstats
    # release with the upstream fix would make this test fail: the workaround can then go.
    out = _run_python(
        WITHOUT_TRAPZ
        + """
try:
    import geomstats  # noqa: F401
except ImportError as exc:
    print("fails:", exc)
"""
    )
    assert "fails:" in out and "trapz" in out


def test_import_geomstats_without_numpy_trapz():
    out = _run_python(
        WITHOUT_TRAPZ
        + """
from sklearn_strata.datasets._geomstats_compat import import_geomstats

gs = import_geomstats("geomstats.backend")
product = import_geomstats("geomstats.geometry.product_manifold")
Hypersphere = import_geomstats("geomstats.geometry.hypersphere").Hypersphere
assert not hasattr(np, "trapz"), "numpy.trapz was left behind"
sphere = Hypersphere(2, equip=False)
points = sphere.random_uniform(10)
assert np.all(sphere.belongs(points, atol=1e-10))
assert np.allclose(sphere.projection(2 * points), points)
circles = product.ProductManifold([Hypersphere(1), Hypersphere(1)])
assert np.all(circles.belongs(circles.random_point(4)))
assert gs.trapz(np.array([1.0, 2.0, 3.0])) == 4.0
print("ok")
"""
    )
    assert out.rstrip().endswith("ok")


def test_estimators_import_without_geomstats():
    out = _run_python(
        """
        import sys

        import sklearn_strata.datasets
        assert "geomstats" not in sys.modules, "importing the data sets imported geomstats"

        sys.modules["geomstats"] = None  # as if geomstats were not installed
        import sklearn_strata
        import sklearn_strata.diffusion
        import sklearn_strata.dimension
        import sklearn_strata.mixture
        import sklearn_strata.strata
        import sklearn_strata._cli

        try:
            sklearn_strata.datasets.make_lollipop(10, random_state=0)
        except ModuleNotFoundError as exc:
            assert "pip install" in str(exc)
        else:
            raise AssertionError("the data sets sampled without geomstats")
        print("ok")
        """
    )
    assert out.rstrip().endswith("ok")


# Samples drawn with numpy 2.3.5 and geomstats 2.8.0. numpy's legacy RandomState stream,
# which geomstats samples from, is frozen, so any numpy release must give the same points.
SPHERE_2 = [
    [0.9852672038635525, -0.07402371160519534, 0.15417206981515044],
    [0.05075905912047527, 0.5326745715972856, -0.8447966138017199],
    [0.6478670617036083, 0.7561695954880133, 0.09206417989113472],
]
CUBE_2 = [
    [-0.02790535395689919, 0.3714246350220449],
    [0.9711521013231976, -0.608807179675555],
    [0.166823346967248, 0.9611643541986099],
]
TORUS = [
    [1.4390284302804677, -2.2822308589275604, -0.05244361324832749],
    [1.7499928991749085, 2.04253542261634, 0.11970502392228292],
]
LOLLIPOP = [
    [0.03306249971408844, 0.2372345534348981, -0.11688753555057664],
    [-0.09350170229646264, 0.7181611923233766, -0.633323433800606],
    [1.899155649171766, 1.0536964936569255, 2.010588469926388],
    [1.8351277487910873, 1.0181722994410598, 1.9428037371083433],
    [0.4703603880379745, 0.16310917792685736, 0.5658631128945614],
]


@pytest.mark.parametrize(
    "sample, expected",
    [
        (lambda: Sphere(2).sample(3, random_state=0), SPHERE_2),
        (lambda: Cube(2).sample(3, random_state=0), CUBE_2),
        (lambda: Torus().sample(2, random_state=0), TORUS),
        (lambda: make_lollipop(5, random_state=0)[0], LOLLIPOP),
    ],
    ids=["sphere", "cube", "torus", "lollipop"],
)
def test_samples_do_not_depend_on_the_numpy_release(sample, expected):
    np.testing.assert_allclose(sample(), expected, rtol=1e-10, atol=1e-12)


def test_samples_lie_on_their_strata():
    X, labels, space = make_lollipop(400, ambient_dim=5, random_state=0, return_space=True)
    assert X.shape == (400, 5)
    assert set(np.unique(labels)) == {0, 1, 2}
    np.testing.assert_allclose(space.distance(X), 0.0, atol=1e-10)
    sphere = Sphere(3, radius=2.0).sample(200, random_state=1)
    np.testing.assert_allclose(np.linalg.norm(sphere, axis=1), 2.0)
    cube = Cube(3, side=1.0).sample(200, random_state=1)
    assert np.all(np.abs(cube) <= 0.5)


def test_estimator_smoke():
    from sklearn_strata import ScoreDiffusionDensity

    X, _ = make_lollipop(200, random_state=0)
    density = ScoreDiffusionDensity(**FAST_DIFFUSION).fit(X)
    assert np.all(np.isfinite(density.score_samples(X[:20])))
    assert density.sample(5, random_state=0).shape == (5, 3)

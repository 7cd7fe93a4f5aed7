"""The one place where geomstats is imported, made to work with the newest numpy.

geomstats 2.8.0, its newest release, imports ``numpy.trapz`` in its backends
(``geomstats/_backend/{numpy,autograd}/__init__.py``: ``from numpy import trapz``). numpy
deprecated ``trapz`` in 2.0 and removed it in 2.4, so ``import geomstats`` fails there with
``ImportError: cannot import name 'trapz' from 'numpy'``. Upstream fixed this after 2.8.0
(the backends import ``trapezoid``: geomstats/geomstats#2048, pull request #2049, merged
February 2025) but has not released the fix. Until a release has it, :func:`import_geomstats`
defines ``numpy.trapz`` as ``numpy.trapezoid`` (the same function under its new name) while
geomstats is first imported, and removes it again afterwards so that numpy's namespace is
left as the user had it. Everything under :mod:`sklearn_strata.datasets` imports geomstats
through this module, and only when a geomstats-backed function runs: the estimators never
import geomstats.
"""

import importlib
import sys

import numpy as np


def import_geomstats(name="geomstats"):
    """Import and return a geomstats module, working around numpy 2.4's missing ``trapz``.

    Parameters
    ----------
    name : str, default="geomstats"
        Dotted name of the module, e.g. ``"geomstats.geometry.hypersphere"``.

    Returns
    -------
    module : module
        The imported module.

    Raises
    ------
    ModuleNotFoundError
        If geomstats is not installed.
    """
    if sys.modules.get("geomstats") is not None:
        return importlib.import_module(name)
    added = not hasattr(np, "trapz") and hasattr(np, "trapezoid")
    if added:
        np.trapz = np.trapezoid  # noqa: NPY201 (the workaround itself)
    try:
        # geomstats/__init__ imports its backend and all of its geometry modules, so every
        # ``from numpy import trapz`` runs inside this window.
        importlib.import_module("geomstats")
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != "geomstats":
            raise
        raise ModuleNotFoundError(
            "The data sets of sklearn_strata.datasets are sampled with geomstats, which is "
            "not installed: pip install 'geomstats>=2.8,<2.9'.",
            name="geomstats",
        ) from exc
    finally:
        if added:
            del np.trapz  # noqa: NPY201

"""Sphinx configuration of the sklearn_strata documentation.

Build with ``make docs`` (``python -m sphinx -W -b html docs docs/_build/html``): warnings are
errors. The example gallery is executed in *small mode*
(``SKLEARN_STRATA_EXAMPLE_SMALL=1``): every example shrinks its data and its training so
that the whole gallery runs in a few minutes on two CPU cores. Unset it in the environment
of a build (``SKLEARN_STRATA_EXAMPLE_SMALL=0 make docs``) to run the examples at full size.
"""

import os
import re
import sys
from importlib import import_module
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

# The examples read this variable; set it before sphinx-gallery imports them.
os.environ.setdefault("SKLEARN_STRATA_EXAMPLE_SMALL", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import sklearn_strata  # noqa: E402

try:  # one torch thread: two threads fight over the two cores of the docs machines
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - torch is a hard dependency
    pass

# -- Project -------------------------------------------------------------------------------

project = "sklearn_strata"
author = "sklearn_strata developers"
copyright = "2026, sklearn_strata developers"
release = sklearn_strata.__version__
version = re.sub(r"(\d+\.\d+).*", r"\1", release)

# -- General -------------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb"]
root_doc = "index"
default_role = "literal"
nitpicky = False

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"

# numpydoc: members are listed by the autosummary class template, not by numpydoc.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- HTML ----------------------------------------------------------------------------------

html_theme = "alabaster"
html_title = f"sklearn_strata {release}"
html_static_path = []
html_theme_options = {
    "description": "Stratified learning for scikit-learn",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "230px",
}

# -- Example gallery -----------------------------------------------------------------------


sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    # every examples/plot_*.py is executed (including ones other people add)
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "plot_gallery": "True",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "reset_modules": ("matplotlib",),
    "image_scrapers": ("matplotlib",),
    "doc_module": ("sklearn_strata",),
    "backreferences_dir": "generated/backreferences",
    "inspect_global_variables": False,
    "show_memory": False,
    "min_reported_time": 1,
}

# -- API coverage check --------------------------------------------------------------------

PUBLIC_MODULES = ("sklearn_strata", "sklearn_strata.datasets", "sklearn_strata.plotting")


def _check_api_coverage(app):
    """Warn (an error under ``-W``) when a public name is missing from ``api.rst``."""
    from sphinx.util import logging

    logger = logging.getLogger("sklearn_strata.api")
    text = (HERE / "api.rst").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\s{3,}~?([A-Za-z_][\w.]*)\s*$", text, flags=re.MULTILINE))
    for module_name in PUBLIC_MODULES:
        try:
            module = import_module(module_name)
        except ImportError as exc:
            logger.warning("cannot import %s for the API reference: %s", module_name, exc)
            continue
        for name in getattr(module, "__all__", []):
            if name.startswith("_"):
                continue
            short = name
            qualified = f"{module_name}.{name}"
            if short not in listed and qualified not in listed:
                logger.warning(
                    "%s is public (in %s.__all__) but missing from docs/api.rst",
                    qualified,
                    module_name,
                )


# -- Docstring fixes -----------------------------------------------------------------------

# ``(n_features_in_,)`` in a numpydoc type is read by docutils as a reference to a target
# named ``n_features_in`` (a trailing underscore makes a reference); scikit-learn writes
# such names in backquotes. Quote identifiers that end in ``_`` inside ``shape (...)``.
_SHAPE = re.compile(r"shape \(([^()]*)\)")
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])([A-Za-z]\w*_)(?![`\w])")

# Docstrings inherited from scikit-learn (get_params, set_output, get_metadata_routing...)
# refer to labels of scikit-learn's own documentation; keep their text, drop the link.
_REF = re.compile(r":ref:`([^`<]*?)\s*(<[^`>]*>)?`")


def _quote_shape(match):
    return "shape (" + _TRAILING_UNDERSCORE.sub(r"``\1``", match.group(1)) + ")"


def _plain_reference(match):
    text, target = match.group(1), match.group(2)
    return text if target else "the scikit-learn documentation"


def _fix_docstring(app, what, name, obj, options, lines):
    foreign = (getattr(obj, "__module__", None) or "").startswith("sklearn.")
    for i, line in enumerate(lines):
        line = _SHAPE.sub(_quote_shape, line)
        if foreign:
            line = _REF.sub(_plain_reference, line)
        lines[i] = line


def setup(app):
    app.connect("builder-inited", _check_api_coverage)
    # before numpydoc (priority 500) turns the sections into reST
    app.connect("autodoc-process-docstring", _fix_docstring, priority=100)

"""Run every gallery example (``examples/plot_*.py``) in small mode.

Each example is executed with :func:`runpy.run_path` as a script, with
``SKLEARN_STRATA_EXAMPLE_SMALL=1`` (small data, short training) and matplotlib's Agg
backend, and must finish and draw at least one figure. New examples are picked up by the
glob; each should take well under a minute in small mode on one CPU core.

The README's sieve example (``GridSearchCV`` over the latent dimensions of
``StratifiedVAEMixture`` with the one-standard-error rule) is run on a smaller lollipop.
"""

import ast
import re
import runpy
from pathlib import Path

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
README = Path(__file__).resolve().parent.parent / "README.md"
EXAMPLES = sorted(EXAMPLES_DIR.glob("plot_*.py"))


def test_examples_are_found():
    assert EXAMPLES, f"no examples/plot_*.py found in {EXAMPLES_DIR}"


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_runs_and_plots(path, monkeypatch, tmp_path):
    monkeypatch.setenv("SKLEARN_STRATA_EXAMPLE_SMALL", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # examples may write files next to where they run: keep them out of the repository
    monkeypatch.chdir(tmp_path)
    # ``plt.show()`` is a no-op under Agg, but says so in a warning; keep the figures open
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)
    plt.close("all")
    try:
        runpy.run_path(str(path), run_name="__main__")
        figures = [plt.figure(number) for number in plt.get_fignums()]
        assert figures, f"{path.name} drew no figure"
        for figure in figures:
            assert figure.axes, f"{path.name} left an empty figure"
    finally:
        plt.close("all")


@pytest.mark.slow
def test_readme_sieve_example_selects_the_true_latent_dimensions():
    """The README's grid over ``latent_dims`` with ``refit=one_standard_error_refit`` picks
    the true dimensions of the lollipop, ``[2, 1, 0]``, and the README says so (issue #15).

    The README's own run (3,000 points, default network, 5 folds: 16 fits) takes about
    ten minutes on one core; this is the same search on 1,500 points of the same lollipop
    with a smaller network, 100 epochs and 3 folds (about a minute). With the learning rate
    held constant (before #15) it picked ``[3, 1, 0]`` here, as issue #15 reports of the
    README's run: optimisation noise of the 2-d fit, not the model, decided.
    """
    from sklearn.model_selection import GridSearchCV

    from sklearn_strata import StratifiedVAEMixture
    from sklearn_strata.datasets import make_lollipop
    from sklearn_strata.mixture import one_standard_error_refit

    text = README.read_text()
    grid = re.search(r'\{"latent_dims": (\[\[.*?\]\])\}', text)
    assert grid, "README.md has no GridSearchCV over latent_dims"
    candidates = ast.literal_eval(grid.group(1))
    assert candidates == [[1, 1, 0], [2, 1, 0], [3, 1, 0]]
    assert "refit=one_standard_error_refit" in text
    assert "print(search.best_params_)          # {'latent_dims': [2, 1, 0]}" in text
    assert "make_lollipop(3000, ambient_dim=10, noise=0.01, random_state=0" in text

    X, _ = make_lollipop(1500, ambient_dim=10, noise=0.01, random_state=0)
    search = GridSearchCV(
        StratifiedVAEMixture(hidden_dims=(64, 64), max_epochs=100, random_state=0),
        {"latent_dims": candidates},
        cv=3,
        refit=one_standard_error_refit,
    ).fit(X)
    scores = search.cv_results_["mean_test_score"]
    assert search.best_params_ == {"latent_dims": [2, 1, 0]}, scores
    # the under-dimensioned candidate loses clearly; the nested ones tie
    assert scores[1] > scores[0] + 5.0, scores
    assert abs(scores[2] - scores[1]) < 0.1, scores

"""Run every gallery example (``examples/plot_*.py``) in small mode.

Each example is executed with :func:`runpy.run_path` as a script, with
``SKLEARN_STRATA_EXAMPLE_SMALL=1`` (small data, short training) and matplotlib's Agg
backend, and must finish and draw at least one figure. New examples are picked up by the
glob; each should take well under a minute in small mode on one CPU core.
"""

import runpy
from pathlib import Path

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
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

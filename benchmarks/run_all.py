"""Run every benchmark in order (``make bench``): local dimensions, then strata.

    python benchmarks/run_all.py [case ...]

``bench_strata.py`` reuses the estimators that ``bench_dimension.py`` fitted and pickled under
``benchmarks/.cache/``. Both write their sections of ``benchmarks/RESULTS.md``.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_dimension, bench_strata


def main(argv=None):
    names = sys.argv[1:] if argv is None else argv
    bench_dimension.main(names)
    bench_strata.main(names)


if __name__ == "__main__":
    main()

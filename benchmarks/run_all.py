"""Run every benchmark in order (``make bench``): local dimensions, strata, real data,
scale, scikit-dimension's BenchmarkManifolds, then fit time.

    python benchmarks/run_all.py [case ...]

``bench_strata.py`` reuses the estimators that ``bench_dimension.py`` fitted and pickled under
``benchmarks/.cache/``. ``bench_scale.py`` (inference time and peak memory on up to 10^6 rows,
about 15 minutes) takes no cases: ``STRATA_BENCH_SCALE_MAX`` caps its largest size (e.g.
``STRATA_BENCH_SCALE_MAX=10000``). ``bench_benchmark_manifolds.py`` (global dimension of the 24
manifolds, about 30 minutes; the peers' estimates are cached under ``benchmarks/.cache/``)
takes no cases either. ``bench_fit_time.py`` (default fits on 2000 to 10^5 points against
scikit-dimension's lPCA, CUDA too when present; the VAE mixture's fit grows linearly with
the rows, so 10^5 takes longest) takes no cases: run it alone with ``--sizes`` for fewer
sizes. Each writes its section of ``benchmarks/RESULTS.md``.
``bench_density.py`` and ``bench_gpu.py`` (which needs a CUDA machine and runs in steps, see
its docstring) run on their own.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import (
    bench_benchmark_manifolds,
    bench_dimension,
    bench_fit_time,
    bench_real_data,
    bench_scale,
    bench_strata,
)


def main(argv=None):
    names = sys.argv[1:] if argv is None else argv
    bench_dimension.main(names)
    bench_strata.main(names)
    bench_real_data.main()
    bench_scale.main([])
    bench_benchmark_manifolds.main([])
    bench_fit_time.main([])


if __name__ == "__main__":
    main()

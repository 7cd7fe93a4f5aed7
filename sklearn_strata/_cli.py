"""Command-line entry points of sklearn_strata: ``sklearn-strata demo|analyze``.

Also run as ``python -m sklearn_strata``. :func:`main` returns the exit status: 0 on
success, 1 when the data or the output folder cannot be used (one line on stderr), 2 for
invalid arguments and 130 when interrupted.
"""

import argparse
import sys

PROG = "sklearn-strata"


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"expected an integer in [0, 2**32), got {value}")
    return value


def _max_epochs(text):
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'auto' or an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _build_parser():
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Stratified learning: strata, local dimensions and densities of point clouds.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the whole pipeline on the embedded default data")
    demo.add_argument("--out", default="demo_output", help="folder for the report and plots")
    demo.add_argument("--seed", type=int, default=0, help="random seed")
    demo.add_argument("--n-samples", type=int, default=2000, help="size of the default data set")
    demo.add_argument(
        "--threads", type=int, default=None,
        help="torch threads (default: one per core; 1 on a machine busy with other work)",
    )

    analyze = commands.add_parser(
        "analyze",
        help="find the strata and local dimensions of the points in a file",
        description=(
            "Fit a diffusion model to the points in DATA, read the local dimension of every "
            "point off its score field and group the points into strata. Writes report.txt "
            "(also printed), points.csv (index,stratum,dimension,confidence for every point, "
            "index being its 0-based data row; stratum -1 marks junction points; confidence "
            "below 0.5 marks an unreliable dimension), model.joblib (the fitted "
            "StratumCounter) and, with matplotlib, PNG plots to the output folder."
        ),
    )
    analyze.add_argument(
        "data",
        metavar="DATA",
        help=(
            "a .npy file (numeric 2-D array) or a .csv/.tsv/.txt file: one point per line, "
            "an optional header line of column names, '#' comments"
        ),
    )
    analyze.add_argument(
        "--out", default="strata_output", help="output folder (default: %(default)s)"
    )
    analyze.add_argument(
        "--device",
        choices=["cpu", "cuda", "auto"],
        default="cpu",
        help="where the diffusion model runs; auto takes CUDA when available "
        "(default: %(default)s)",
    )
    analyze.add_argument(
        "--seed", type=_seed, default=0, help="random seed of the models (default: %(default)s)"
    )
    analyze.add_argument(
        "--max-epochs",
        type=_max_epochs,
        default="auto",
        help="training passes of the diffusion model; auto gives about 800 optimisation "
        "steps (default: %(default)s)",
    )
    analyze.add_argument("--no-plots", action="store_true", help="do not save the plots")
    analyze.add_argument("--quiet", action="store_true", help="print nothing on success")
    return parser


def _error(message):
    message = " ".join(str(message).split())  # one line, whatever the exception said
    print(f"{PROG}: error: {message}", file=sys.stderr)


def _analyze(args):
    from ._analyze import run_analysis

    try:
        run_analysis(
            args.data,
            args.out,
            device=args.device,
            seed=args.seed,
            max_epochs=args.max_epochs,
            plots=not args.no_plots,
            quiet=args.quiet,
        )
    except (ValueError, OSError) as exc:
        _error(exc)
        return 1
    except MemoryError:
        _error(f"out of memory while analysing {args.data}")
        return 1
    return 0


def main(argv=None):
    """Run the command line.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name; None reads ``sys.argv``.

    Returns
    -------
    status : int
        The process exit status: 0 on success, 1 when the analysis fails (one error line
        on stderr), 2 for invalid arguments, 130 when interrupted.
    """
    try:
        args = _build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or invalid arguments (argparse printed why)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        if args.command == "demo":
            from ._demo import run_demo

            run_demo(out=args.out, seed=args.seed, n_samples=args.n_samples,
                     n_threads=args.threads)
            return 0
        return _analyze(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130

"""Command-line entry points of sklearn_strata."""

import argparse


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="sklearn-strata",
        description="Stratified learning: strata, local dimensions and densities of point clouds.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the whole pipeline on the embedded default data")
    demo.add_argument("--out", default="demo_output", help="folder for the report and plots")
    demo.add_argument("--seed", type=int, default=0, help="random seed")
    demo.add_argument("--n-samples", type=int, default=3000, help="size of the default data set")
    return parser


def main(argv=None):
    """Run the command line; return the process exit code."""
    args = _build_parser().parse_args(argv)
    if args.command == "demo":
        from ._demo import run_demo

        run_demo(out=args.out, seed=args.seed, n_samples=args.n_samples)
    return 0

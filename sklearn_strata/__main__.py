"""Command line: ``python -m sklearn_strata demo`` (see ``--help``)."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())

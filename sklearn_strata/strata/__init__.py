"""Strata of a stratified space: how many, of which dimensions, and which point is where."""

from ._counter import StratumCounter

__all__ = ["StratumCounter"]

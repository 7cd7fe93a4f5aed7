"""Ground-truth stratified spaces: unions of geomstats manifolds placed in ``R^D``.

Stratum primitives (:class:`Point`, :class:`Segment`, :class:`Ball`, :class:`Cube`,
:class:`Sphere`, :class:`Torus`) sample uniformly and give exact distances;
:class:`StratifiedSpace` holds placed strata with their weights; :func:`make_stratified`
samples any union, and the ``make_*`` presets sample classic examples.
"""

from ._alanine import load_alanine_dipeptide, simulate_alanine_dipeptide
from ._make import make_stratified
from ._presets import (
    make_crossing_planes,
    make_disjoint_circles,
    make_line_disk_ball,
    make_lollipop,
    make_scaled_strata,
    make_sphere_line,
    make_sphere_line_cube,
    make_string_in_doughnut,
)
from ._space import StratifiedSpace
from ._strata import Ball, BaseStratum, Cube, Point, Segment, Sphere, Torus

__all__ = [
    "Ball",
    "BaseStratum",
    "Cube",
    "Point",
    "Segment",
    "Sphere",
    "StratifiedSpace",
    "Torus",
    "load_alanine_dipeptide",
    "make_crossing_planes",
    "make_disjoint_circles",
    "make_line_disk_ball",
    "make_lollipop",
    "make_scaled_strata",
    "make_sphere_line",
    "make_sphere_line_cube",
    "make_string_in_doughnut",
    "make_stratified",
    "simulate_alanine_dipeptide",
]

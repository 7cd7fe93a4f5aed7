"""Ground-truth stratified spaces: unions of geomstats manifolds placed in ``R^D``.

Stratum primitives (:class:`Point`, :class:`Segment`, :class:`Ball`, :class:`Cube`,
:class:`Sphere`, :class:`Torus`) sample uniformly and give exact distances; the curved
ones (:class:`MobiusBand`, :class:`ToroidalHelix`, :class:`FigureEightKleinBottle`) may
sample non-uniformly and give numerical distances with a stated error bound;
:class:`StratifiedSpace` holds placed strata with their weights; :func:`make_stratified`
samples any union, and the ``make_*`` presets sample classic examples.
"""

from ._alanine import load_alanine_dipeptide, simulate_alanine_dipeptide
from ._make import make_stratified
from ._presets import (
    make_crossing_circles,
    make_crossing_planes,
    make_disjoint_circles,
    make_high_dim_strata,
    make_line_disk_ball,
    make_lollipop,
    make_scaled_strata,
    make_self_intersecting_surface,
    make_sphere_line,
    make_sphere_line_cube,
    make_string_in_doughnut,
    make_twisted_strata,
)
from ._redundant import add_redundant_columns
from ._space import StratifiedSpace
from ._strata import (
    Ball,
    BaseStratum,
    Cube,
    FigureEightKleinBottle,
    MobiusBand,
    Point,
    Segment,
    Sphere,
    ToroidalHelix,
    Torus,
)

__all__ = [
    "Ball",
    "BaseStratum",
    "Cube",
    "FigureEightKleinBottle",
    "MobiusBand",
    "Point",
    "Segment",
    "Sphere",
    "StratifiedSpace",
    "ToroidalHelix",
    "Torus",
    "add_redundant_columns",
    "load_alanine_dipeptide",
    "make_crossing_circles",
    "make_crossing_planes",
    "make_disjoint_circles",
    "make_high_dim_strata",
    "make_line_disk_ball",
    "make_lollipop",
    "make_scaled_strata",
    "make_self_intersecting_surface",
    "make_sphere_line",
    "make_sphere_line_cube",
    "make_string_in_doughnut",
    "make_stratified",
    "make_twisted_strata",
    "simulate_alanine_dipeptide",
]

"""
================================================================
Local dimensions and strata of alanine dipeptide's conformations
================================================================

Alanine dipeptide (Ace-Ala-Nme) is the "hydrogen atom" of biomolecular simulation: its
conformations are described, to a good approximation, by two backbone dihedral angles,
``phi`` and ``psi``. Their joint distribution, the Ramachandran map, has a few metastable
basins separated by free-energy barriers.

This example loads the 20 ns molecular-dynamics trajectory shipped with the package
(vacuum, 300 K, one frame per picosecond; see
:func:`~sklearn_strata.datasets.load_alanine_dipeptide`), describes each frame by
``(cos phi, sin phi, cos psi, sin psi)`` -- a point on a 2-torus embedded in ``R^4`` --
and asks the score-field estimators what they see: the local dimension of every frame
(:class:`~sklearn_strata.ScoreDimensionEstimator`) and the strata
(:class:`~sklearn_strata.StratumCounter`).

Set the environment variable ``SKLEARN_STRATA_EXAMPLE_SMALL`` to run a quick version with
few frames and a tiny model.
"""

import os

import matplotlib.pyplot as plt
import numpy as np

from sklearn_strata import ScoreDiffusionDensity, ScoreDimensionEstimator, StratumCounter
from sklearn_strata.datasets import load_alanine_dipeptide

SMALL = os.environ.get("SKLEARN_STRATA_EXAMPLE_SMALL", "0") not in ("", "0")

# %%
# The trajectory
# --------------
# Consecutive frames are one picosecond apart and strongly correlated, so we keep every
# ``stride``-th frame of the 20,000. The angles are kept for the plots; the model sees only
# the four sines and cosines, so that ``phi = 180`` and ``phi = -180`` are the same point.
stride = 50 if SMALL else 8
X = load_alanine_dipeptide(features="dihedrals")[::stride]
angles = np.degrees(load_alanine_dipeptide(features="angles")[::stride])
phi, psi = angles[:, 0], angles[:, 1]
print(f"{X.shape[0]} frames, {X.shape[1]} features")

# The two basins visited in vacuum, split at the minimum of the ``phi`` histogram (in
# degrees; C5 extends across ``phi = 180``). The rest is the rarely visited alpha_R region.
band = (psi > 30) | (psi < -120)
basins = {
    "C5": ((phi < -110) | (phi > 120)) & band,
    "C7eq": (phi >= -110) & (phi < 0) & band,
}
basins["elsewhere (alpha_R)"] = ~(basins["C5"] | basins["C7eq"])
for name, members in basins.items():
    print(f"  {name:<24s} {members.mean():6.1%} of the frames")

# %%
# Local dimensions at a fine scale
# --------------------------------
# A diffusion model learns the score field of the four-dimensional data; the dimension
# estimator reads the local dimension of every frame off it, at a smoothing level chosen
# automatically: the start of the first plateau of the estimate-versus-level curve above
# the spacing of neighboring frames.
if SMALL:
    model = ScoreDiffusionDensity(hidden_width=32, n_blocks=1, max_epochs=60, random_state=0)
else:
    model = ScoreDiffusionDensity(random_state=0)
fine = ScoreDimensionEstimator(model, random_state=0).fit(X)
curve = fine.noise_level_curve_
print("smoothing level -> mean local dimension (on a subsample):")
for level, mean in zip(curve["levels"], curve["mean_dimension"], strict=True):
    print(f"  {level:6.3f} -> {mean:.2f}")


def describe(estimator, counter, title):
    """Print the local dimensions per basin and the strata of one scale."""
    dimensions = estimator.dimension_pw_.astype(int)
    print(f"{title}: smoothing level {estimator.noise_level_:.3f}")
    for name, members in basins.items():
        if members.any():
            shares = np.bincount(dimensions[members], minlength=X.shape[1] + 1)
            shares = ", ".join(
                f"d={d}: {share:.0%}"
                for d, share in enumerate(shares / members.sum())
                if share >= 0.005
            )
            print(f"  {name:<24s} {shares}")
    print(f"  {counter.n_strata_} strata of dimensions {counter.strata_dims_.tolist()}")
    for label in range(counter.n_strata_):
        members = counter.labels_ == label
        overlap = {name: np.mean(basin[members]) for name, basin in basins.items()}
        inside = ", ".join(
            f"{share:.0%} {name}" for name, share in overlap.items() if share >= 0.005
        )
        print(
            f"    stratum {label}: dimension {counter.strata_dims_[label]}, weight "
            f"{counter.weights_[label]:.2f} ({inside})"
        )
    print(f"    unassigned (junction) frames: {np.mean(counter.labels_ == -1):.1%}")


fine_counter = StratumCounter(fine).fit(X)
describe(fine, fine_counter, "Fine scale")

# %%
# At this scale the estimate is 2 almost everywhere: the data fills a two-dimensional
# region of the torus, and every basin is one patch of a single 2-D stratum. The basins
# are connected by frequent transitions, so the equal-dimension neighbor graph does not
# split them.
#
# Local dimensions at a coarse scale
# ----------------------------------
# The curve printed above falls as the smoothing level grows: once it exceeds the width of
# a basin (about 0.4 in the units of the sines and cosines, some 25 degrees), a basin
# looks like a point and the band of frames between two basins like a curve. Reading the
# same score model at that level (a fitted model is reused, not refitted) turns the
# metastable basins into 0-dimensional strata and the transition region into a
# 1-dimensional one.
coarse = ScoreDimensionEstimator(fine.score_model_, noise_level=0.45, random_state=0).fit(X)
coarse_counter = StratumCounter(coarse).fit(X)
describe(coarse, coarse_counter, "Coarse scale")

# %%
# The Ramachandran map
# --------------------
# Left: every frame coloured by its local dimension. Right: by its stratum (grey frames
# belong to no stratum). Top: the fine scale; bottom: the coarse one.
fig, axes = plt.subplots(2, 2, figsize=(10, 9), sharex=True, sharey=True)
dim_cmap = plt.get_cmap("viridis", X.shape[1] + 1)
palette = plt.get_cmap("tab10")
for row, (estimator, counter, scale) in enumerate(
    [(fine, fine_counter, "fine"), (coarse, coarse_counter, "coarse")]
):
    ax_dim, ax_strata = axes[row]
    points = ax_dim.scatter(
        phi,
        psi,
        c=estimator.dimension_pw_,
        cmap=dim_cmap,
        vmin=-0.5,
        vmax=X.shape[1] + 0.5,
        s=5,
    )
    fig.colorbar(points, ax=ax_dim, ticks=range(X.shape[1] + 1), label="local dimension")
    ax_dim.set_title(f"Local dimension, {scale} (sigma={estimator.noise_level_:.2f})")
    labels = counter.labels_
    if np.any(labels == -1):
        ax_strata.scatter(phi[labels == -1], psi[labels == -1], c="lightgrey", s=5)
    for label in range(counter.n_strata_):
        members = labels == label
        ax_strata.scatter(
            phi[members],
            psi[members],
            color=palette(label % 10),
            s=5,
            label=f"stratum {label} (d={counter.strata_dims_[label]})",
        )
    ax_strata.legend(loc="lower right", markerscale=3, fontsize="small")
    ax_strata.set_title(f"Strata, {scale} scale")
for ax in axes.ravel():
    ax.set_xlim(-180, 180)
    ax.set_ylim(-180, 180)
    ax.set_xticks(range(-180, 181, 90))
    ax.set_yticks(range(-180, 181, 90))
    ax.set_aspect("equal")
    for name, (x, y) in {"C7eq": (-80, 80), "C5": (-150, 150), "alpha_R": (-75, -30)}.items():
        ax.annotate(name, (x, y), fontsize="small", ha="center", weight="bold")
for ax in axes[1]:
    ax.set_xlabel(r"$\phi$ (degrees)")
for ax in axes[:, 0]:
    ax.set_ylabel(r"$\psi$ (degrees)")
fig.tight_layout()
plt.show()

# %%
# What the dimensions mean
# ------------------------
# The features live on a 2-torus, so no frame can have a local dimension above 2, and the
# molecule itself has no lower-dimensional strata in these coordinates: thermal motion
# lets both angles fluctuate inside every basin. What the estimators report is the
# dimension the *sampled distribution* looks like at the smoothing level they read the
# score field at:
#
# - at a fine level (a few degrees), the frames fill a 2-D region: one 2-D stratum;
# - at a level comparable to the width of a basin, each well-populated metastable basin
#   (C5 and C7eq) shrinks to a point, a 0-D stratum, and the frames crossing between
#   them form a 1-D stratum: a coarse-grained picture of metastable states joined by a
#   transition path, as in a Markov state model.
#
# Sparsely visited regions (alpha_R, a fraction of a percent of the frames in vacuum) are
# too small to form strata of their own; they join a neighboring stratum or are left
# unassigned. Which picture is "right" depends on the scale one asks
# about; the estimate-versus-level curve shows both.

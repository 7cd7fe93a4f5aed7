"""
================================================
Handwritten digits as a union of class manifolds
================================================

Images of one handwritten digit vary along a few degrees of freedom (slant, stroke width,
the size of a loop), so each class lies near a low-dimensional manifold of the 64-pixel
space, and the ten classes together form a union of manifolds that need not share a
dimension. This example reads the local intrinsic dimension of every image of
scikit-learn's :func:`~sklearn.datasets.load_digits` off the score field of one diffusion
model fitted on all of them, compares the classes, and asks
:class:`~sklearn_strata.StratumCounter` which strata it sees.

Unlike the presets of :mod:`sklearn_strata.datasets` there is no ground truth here, and
1797 images are few for 64 dimensions: the answers depend on the scale at which one
looks, and the example shows that dependence rather than hiding it.

Set ``SKLEARN_STRATA_EXAMPLE_SMALL=1`` to run it with short training (as in the
documentation build); unset, it runs at full size.
"""

import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_strata import ScoreDiffusionDensity, ScoreDimensionEstimator, StratumCounter
from sklearn_strata.plotting import plot_dimension_histograms

SMALL = os.environ.get("SKLEARN_STRATA_EXAMPLE_SMALL", "0") not in ("", "0")

# %%
# The data: standardise, then keep the main principal components
# ---------------------------------------------------------------
# Many border pixels are almost always blank; standardising the pixels and keeping the
# leading principal components removes those directions, which carry only noise, and makes
# the diffusion model cheaper. The local dimensions below are dimensions *within* these
# components, so they are at most ``n_components``.

digits = load_digits()
X, y = digits.data, digits.target
n_components = 10
reduce = make_pipeline(StandardScaler(), PCA(n_components, random_state=0))
Z = reduce.fit_transform(X)
explained = reduce[-1].explained_variance_ratio_.sum()
print(f"{X.shape[0]} images of {X.shape[1]} pixels -> {n_components} principal components "
      f"({explained:.0%} of the variance)")

# %%
# One diffusion model for all the classes
# ---------------------------------------
# The score field is learned once, on the union of the ten classes, without the labels.

if SMALL:
    density = ScoreDiffusionDensity(
        hidden_width=64, n_blocks=2, max_epochs=100, batch_size=128, lr=3e-3, random_state=0
    )
else:
    density = ScoreDiffusionDensity(hidden_width=256, n_blocks=3, random_state=0)
density.fit(Z)

# %%
# The local dimension depends on the scale
# ----------------------------------------
# The noise level ``sigma`` is the scale at which the score field is read. On the
# synthetic presets the estimate settles on a plateau over a range of levels, where
# ``noise_level="auto"`` finds it. On these images it does not settle: the estimate
# falls steadily as ``sigma`` grows, because the digit manifolds are curved at every scale
# and, with 1797 points in 10 dimensions, the typical distance between neighboring images
# is already comparable to the spread of a class along its main directions. So we fix the
# level ourselves and look at a range of levels around the median distance between
# nearest neighbors, per class. Every estimator below reuses the fitted density: only the
# reading changes.

distances, _ = NearestNeighbors(n_neighbors=2).fit(Z).kneighbors(Z)
spacing = float(np.median(distances[:, 1]))
print(f"median distance to the nearest neighbor: {spacing:.2f}")

levels = spacing * np.array([0.5, 0.7, 1.0, 1.4, 2.0])
per_class = np.empty((len(levels), 10))
for i, level in enumerate(levels):
    estimator = ScoreDimensionEstimator(density, noise_level=float(level)).fit(Z)
    per_class[i] = [estimator.dimension_pw_[y == digit].mean() for digit in range(10)]

fig, ax = plt.subplots(figsize=(7, 4.2))
for digit in range(10):
    ax.plot(levels, per_class[:, digit], "o-", color=plt.cm.tab10(digit), label=str(digit))
ax.axvline(spacing, color="k", linestyle="--", linewidth=1, label="neighbor spacing")
ax.set_xscale("log")
ax.set_xticks(levels, [f"{level:.2g}" for level in levels])
ax.minorticks_off()
ax.set_xlabel("noise level sigma (units of the principal components)")
ax.set_ylabel("mean local dimension of the class")
ax.set_title("local dimension of every digit class versus the noise level")
ax.legend(ncol=2, fontsize="small", title="digit")
fig.tight_layout()

# %%
# Local dimensions per class at the neighbor spacing
# ---------------------------------------------------
# We read the dimensions at the neighbor spacing: much below it a well-trained model
# starts to see individual images, much above it the classes blur into one another. The
# numbers depend on that choice (and on how long the model was trained), but the
# comparison between classes at one level is what carries over: at the levels around the
# spacing, the round 0 and 6 vary along the fewest directions, 8 and 5 along the most.

dimensions = ScoreDimensionEstimator(density, noise_level=spacing).fit(Z)
order = np.argsort([np.median(dimensions.dimension_pw_[y == d]) for d in range(10)])
for digit in order:
    local = dimensions.dimension_pw_[y == digit]
    print(f"digit {digit}: median local dimension {np.median(local):.0f}, "
          f"mean {local.mean():.2f}")

fig, axes = plt.subplots(2, 5, figsize=(13, 5.2), sharex=True)
plot_dimension_histograms(dimensions.dimension_pw_, y, ax=axes.ravel())
for digit, ax in enumerate(axes.ravel()):
    ax.set_title(f"digit {digit}")
fig.suptitle(f"local dimensions of the images of every digit (noise level {spacing:.2f})")
fig.tight_layout()

# %%
# Strata
# ------
# :class:`~sklearn_strata.StratumCounter` groups the images into connected pieces of equal
# local dimension, without the labels. Strata are defined by dimension and connectivity,
# not by class: one stratum may hold several digits that vary alike, and one digit may
# spread over strata of different dimensions. The table shows how the classes fall into
# the strata found.

counter = StratumCounter(dimensions).fit(Z)
print(f"{counter.n_strata_} strata of dimensions {counter.strata_dims_.tolist()}, "
      f"weights {np.round(counter.weights_, 2).tolist()}; "
      f"{np.mean(counter.labels_ < 0):.0%} junction points")
print(f"adjusted Rand index between strata and digit classes: "
      f"{adjusted_rand_score(y, counter.labels_):.2f}")

strata = np.arange(-1, counter.n_strata_)
table = np.array([[np.sum((y == d) & (counter.labels_ == s)) for s in strata] for d in range(10)])
fig, ax = plt.subplots(figsize=(2.0 + 0.75 * len(strata), 5.2))
image = ax.imshow(table / table.sum(axis=1, keepdims=True), cmap="Blues", vmin=0, vmax=1)
ax.set_xticks(range(len(strata)))
ax.set_xticklabels(
    ["junc-\ntion"] + [f"{s}\nd={d}" for s, d in enumerate(counter.strata_dims_)],
    fontsize="small",
)
ax.set_yticks(range(10))
ax.set_xlabel("stratum found")
ax.set_ylabel("digit")
ax.set_title("fraction of every digit in every stratum")
fig.colorbar(image, ax=ax, shrink=0.8)
fig.tight_layout()
plt.show()

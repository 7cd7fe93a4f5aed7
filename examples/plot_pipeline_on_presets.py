"""
==========================================================
From a density to the strata: the pipeline on a lollipop
==========================================================

The four estimators of ``sklearn_strata`` form one pipeline::

    X -> ScoreDiffusionDensity -> ScoreDimensionEstimator -> StratumCounter

A diffusion model learns the score field of the data, the local dimension of every point is
read off the Jacobian of that field, and a neighborhood graph of points of equal dimension
splits the data into strata. This example runs each step on a *lollipop* -- a disk, a stick
attached to its rim and an isolated point, of dimensions 2, 1 and 0 -- and compares what
every step finds with the ground truth that :mod:`sklearn_strata.datasets` knows exactly.

Set ``SKLEARN_STRATA_EXAMPLE_SMALL=1`` to run it with small data and short training (as in
the documentation build); unset, it runs at full size.
"""

import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import adjusted_rand_score

from sklearn_strata import ScoreDiffusionDensity, ScoreDimensionEstimator, StratumCounter
from sklearn_strata.datasets import make_lollipop
from sklearn_strata.plotting import (
    plot_dimension_histograms,
    plot_noise_level_curve,
    plot_points,
    plot_samples,
)

SMALL = os.environ.get("SKLEARN_STRATA_EXAMPLE_SMALL", "0") not in ("", "0")

# %%
# The data: a lollipop with ambient noise
# ---------------------------------------
# The preset lives in a plane, carried into ``R^3`` by a random isometry, and every
# coordinate gets Gaussian noise of standard deviation 0.01. ``space`` is the ground truth:
# the strata, their dimensions and weights, and the exact distance of any point to them.

n_samples = 800 if SMALL else 3000
X, y, space = make_lollipop(
    n_samples, ambient_dim=3, noise=0.01, random_state=0, return_space=True
)
true_dimension = space.pointwise_dimension(y)
print(f"{X.shape[0]} points in R^{X.shape[1]}")
print(f"true strata: dimensions {space.strata_dims.tolist()}, weights {space.weights.tolist()}")

plot_points(X, y, kind="stratum", title="the data, coloured by true stratum")

# %%
# Step 1: the density and its score field
# ---------------------------------------
# :class:`~sklearn_strata.ScoreDiffusionDensity` trains a residual network by denoising
# score matching. It is a density estimator (``score_samples`` is the log-density) and a
# generative model (``sample`` runs the reverse-time diffusion); its
# ``score_field(X, noise_level)`` is what the next step reads.

if SMALL:
    density = ScoreDiffusionDensity(
        hidden_width=64, n_blocks=2, max_epochs=300, batch_size=128, lr=5e-3, random_state=0
    )
else:
    density = ScoreDiffusionDensity(random_state=0)
density.fit(X)

samples = density.sample(500, random_state=1)
held_out, _ = space.sample(500, noise=0.01, random_state=1)
print(f"median distance to the strata: samples {np.median(space.distance(samples)):.3f}, "
      f"fresh data {np.median(space.distance(held_out)):.3f}")
print(f"mean log-density of fresh data: {density.score(held_out):.2f}")

plot_samples(X, samples, title="data and samples of the diffusion model")

# %%
# Step 2: the local dimension of every point
# ------------------------------------------
# Near a stratum of dimension ``d`` and at a small noise level ``sigma``, the score is of
# order ``1 / sigma**2`` along the ``D - d`` normal directions and of order one along the
# stratum, so ``-sigma**2`` times the symmetric part of its Jacobian has ``D - d``
# eigenvalues near 1 and ``d`` near 0. :class:`~sklearn_strata.ScoreDimensionEstimator`
# counts the small ones. It reuses the fitted density, and chooses ``sigma`` on a grid of
# levels where the readings are stable and cleanest (eigenvalues far from the threshold).

dimensions = ScoreDimensionEstimator(density, random_state=0).fit(X)
print(f"chosen noise level: {dimensions.noise_level_:.3f}")
print(f"local dimension exact for {np.mean(dimensions.dimension_pw_ == true_dimension):.1%} "
      "of the points")
for label, dim in enumerate(space.strata_dims):
    exact = np.mean(dimensions.dimension_pw_[y == label] == dim)
    print(f"  true stratum {label} (dimension {dim}): {exact:.1%} exact")

plot_noise_level_curve(dimensions)

# %%
# The estimated dimensions, side by side with the truth. Points near the junction of the
# disk and the stick see both strata in their neighborhood; expect a few mixed estimates
# there. The isolated point is the hardest stratum: a briefly trained network resolves it
# only as a small blob, whose estimate can be off by one. It stays a stratum of its own in
# the next step all the same, because it is not connected to the rest.

fig = plt.figure(figsize=(11, 4.5))
plot_points(
    X,
    true_dimension,
    kind="dimension",
    ax=fig.add_subplot(1, 2, 1, projection="3d"),
    title="true local dimension",
)
plot_points(
    X,
    dimensions.dimension_pw_,
    kind="dimension",
    ax=fig.add_subplot(1, 2, 2, projection="3d"),
    title="estimated local dimension",
)

# %%
# Step 3: the strata
# ------------------
# :class:`~sklearn_strata.StratumCounter` links every point to its nearest neighbors of
# the same local dimension (and with a similar tangent space), and takes the connected
# components of that graph as strata. Small components are junction points (label ``-1``).
# It reuses the fitted dimension estimator.

counter = StratumCounter(dimensions).fit(X)
labelled = counter.labels_ >= 0
print(f"found {counter.n_strata_} strata of dimensions {counter.strata_dims_.tolist()}, "
      f"weights {np.round(counter.weights_, 2).tolist()}")
print(f"truth: {space.n_strata} strata of dimensions {space.strata_dims.tolist()}, "
      f"weights {space.weights.tolist()}")
print(f"adjusted Rand index against the true labels: "
      f"{adjusted_rand_score(y[labelled], counter.labels_[labelled]):.3f} "
      f"({np.mean(~labelled):.1%} of the points are junction points)")

fig = plt.figure(figsize=(11, 4.5))
plot_points(
    X, y, kind="stratum", ax=fig.add_subplot(1, 2, 1, projection="3d"), title="true strata"
)
plot_points(
    X,
    counter.labels_,
    kind="stratum",
    ax=fig.add_subplot(1, 2, 2, projection="3d"),
    title="strata found",
)

# %%
# Within every stratum found, the local dimensions should agree (one bar per panel).

plot_dimension_histograms(counter)
plt.show()

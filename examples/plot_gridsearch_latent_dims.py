"""
=================================================================
Choosing the latent dimensions of a VAE mixture with GridSearchCV
=================================================================

:class:`~sklearn_strata.StratifiedVAEMixture` models a distribution on a union of strata
as a mixture of variational auto-encoders, component ``k`` having latent dimension
``d_k``. Which list ``latent_dims`` fits the data best is a model-selection question, and
the held-out mean log-likelihood (the estimator's ``score``) answers it: that is the sieve
maximum-likelihood estimator of stratified learning, and
:class:`~sklearn.model_selection.GridSearchCV` runs it unchanged.

The data is a lollipop -- a disk (dimension 2), a stick (1) and an isolated point (0) --
so the right answer is ``[2, 1, 0]``. One component of too low (``[1]``), the right
(``[2]``) or too high (``[3]``) a dimension, and too few or wrong components, should all
score lower.

Set ``SKLEARN_STRATA_EXAMPLE_SMALL=1`` to run it with small data and short training (as in
the documentation build); unset, it runs at full size. On a cluster, run the same search
under joblib's Dask or Ray backend (see the user guide).
"""

import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_strata import StratifiedVAEMixture
from sklearn_strata.datasets import make_lollipop
from sklearn_strata.plotting import plot_points, plot_samples

SMALL = os.environ.get("SKLEARN_STRATA_EXAMPLE_SMALL", "0") not in ("", "0")

# %%
# The data
# --------
# A lollipop in ``R^3`` with a little ambient noise; ``space`` knows the true strata.

n_samples = 600 if SMALL else 3000
X, y, space = make_lollipop(
    n_samples, ambient_dim=3, noise=0.01, random_state=0, return_space=True
)
print(f"{X.shape[0]} points in R^{X.shape[1]}; true strata dimensions "
      f"{space.strata_dims.tolist()}, weights {space.weights.tolist()}")

# %%
# The search
# ----------
# Every candidate is a list of latent dimensions, one per mixture component. Each is fitted
# on two thirds of the data and scored on the rest (mean log-likelihood, higher is better),
# three times; the best one is refitted on all the data.

candidates = [[1], [2], [3], [2, 1], [2, 2, 2], [2, 1, 0]]
if SMALL:
    mixture = StratifiedVAEMixture(
        hidden_dims=(32, 32), max_epochs=60, random_state=0, device="cpu"
    )
else:
    mixture = StratifiedVAEMixture(max_epochs=200, random_state=0, device="cpu")

grid = GridSearchCV(
    mixture,
    {"latent_dims": candidates},
    cv=KFold(3, shuffle=True, random_state=0),
)
grid.fit(X)

results = grid.cv_results_
for params, mean, std, rank in zip(
    results["params"],
    results["mean_test_score"],
    results["std_test_score"],
    results["rank_test_score"],
    strict=True,
):
    print(f"latent_dims={str(params['latent_dims']):10s} held-out log-likelihood "
          f"{mean:7.3f} +/- {std:.3f}  (rank {rank})")
print(f"best: {grid.best_params_['latent_dims']}")

# %%
# The held-out log-likelihood of every candidate. Adding the right strata raises it by a
# large margin: a 1-dimensional component models the stick far better than a patch of a
# 2-dimensional one, and a 0-dimensional one puts a point mass on the isolated point.

labels = [str(c) for c in candidates]
means = results["mean_test_score"]
best = int(np.argmax(means))
fig, ax = plt.subplots(figsize=(7, 3.8))
ax.bar(
    labels,
    means,
    yerr=results["std_test_score"],
    color=["C2" if i == best else "C0" for i in range(len(labels))],
    capsize=4,
)
ax.set_xlabel("latent_dims")
ax.set_ylabel("held-out mean log-likelihood")
ax.set_title("GridSearchCV over the latent dimensions")
fig.tight_layout()

# %%
# The selected model
# ------------------
# ``best_estimator_`` is refitted on all the data. Its mixture weights estimate the weights
# of the strata, ``predict`` gives the stratum of every point, and ``sample`` draws new
# points with the component each came from.

best_model = grid.best_estimator_
print(f"latent dims {best_model.latent_dims_}, weights "
      f"{np.round(best_model.weights_, 2).tolist()} (truth {space.weights.tolist()})")
print(f"decoder noise levels {np.round(best_model.decoder_noise_, 3).tolist()}")
X_new, component = best_model.sample(500, random_state=0)
print(f"median distance of its samples to the true strata: "
      f"{np.median(space.distance(X_new)):.3f}")

fig = plt.figure(figsize=(11, 4.5))
plot_points(
    X,
    best_model.predict(X),
    kind="stratum",
    ax=fig.add_subplot(1, 2, 1, projection="3d"),
    title="component of every point",
)
plot_samples(
    X, X_new, ax=fig.add_subplot(1, 2, 2, projection="3d"), title="samples of the best model"
)
plt.show()

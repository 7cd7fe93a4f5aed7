"""The main job on the embedded default data set (``make demo``)."""

import time
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import train_test_split

from .datasets import make_lollipop

DEFAULT_AMBIENT_DIM = 10
DEFAULT_NOISE = 0.01


def _section(title):
    print(f"\n== {title} ==", flush=True)


def _bic_gaussian_mixture(X, random_state, max_components=10):
    fits = [
        GaussianMixture(k, random_state=random_state).fit(X) for k in range(1, max_components + 1)
    ]
    return min(fits, key=lambda gm: gm.bic(X))


def _save_scatter(path, X, colours, title):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("  (matplotlib is not installed: skipping plots; pip install sklearn_strata[plot])")
        return
    view = PCA(3, random_state=0).fit_transform(X)
    fig = plt.figure(figsize=(6, 5))
    ax = fig.add_subplot(projection="3d")
    points = ax.scatter(*view.T, c=colours, s=4, cmap="viridis")
    fig.colorbar(points, ax=ax, shrink=0.6)
    ax.set_title(title)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    print(f"  saved {path}")


def run_demo(out="demo_output", seed=0, n_samples=3000):
    """Run the pipeline on a noisy lollipop in R^10 and print what it finds.

    Parameters
    ----------
    out : str or path, default="demo_output"
        Folder for the plots.
    seed : int, default=0
        Seed of the data and the models.
    n_samples : int, default=3000
        Number of points of the default data set.
    """
    from . import (
        ScoreDiffusionDensity,
        ScoreDimensionEstimator,
        StratifiedVAEMixture,
        StratumCounter,
    )

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    _section("Data: the default stratified space")
    X, y, space = make_lollipop(
        n_samples, ambient_dim=DEFAULT_AMBIENT_DIM, noise=DEFAULT_NOISE,
        random_state=seed, return_space=True,
    )
    print(f"  lollipop in R^{DEFAULT_AMBIENT_DIM}: disk + stick + point, noise {DEFAULT_NOISE}")
    print(f"  {X.shape[0]} points; true strata dimensions {space.strata_dims.tolist()}, "
          f"weights {np.round(space.weights, 2).tolist()}")
    _save_scatter(out / "data_by_stratum.png", X, y, "true strata (PCA view)")
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed)

    _section("Score engine: diffusion model")
    density = ScoreDiffusionDensity(random_state=seed, verbose=True).fit(X_train)

    _section("Local intrinsic dimension from the score field")
    dimensions = ScoreDimensionEstimator(density, random_state=seed).fit(X_train)
    true_dims = space.pointwise_dimension(y_train)
    accuracy = np.mean(dimensions.dimension_pw_ == true_dims)
    print(f"  noise level chosen: {dimensions.noise_level_:.4f}")
    print(f"  per-point dimension accuracy: {accuracy:.3f}")
    for label, dim in enumerate(space.strata_dims):
        rows = y_train == label
        exact = np.mean(dimensions.dimension_pw_[rows] == dim)
        print(f"    stratum {label} (dim {dim}): {exact:.3f}")
    _save_scatter(out / "local_dimension.png", X_train, dimensions.dimension_pw_,
                  "local dimension (PCA view)")

    _section("Strata")
    counter = StratumCounter(dimensions).fit(X_train)
    labelled = counter.labels_ != -1
    ari = adjusted_rand_score(y_train[labelled], counter.labels_[labelled])
    truth = sorted(space.strata_dims.tolist(), reverse=True)
    print(f"  found {counter.n_strata_} strata of dimensions {counter.strata_dims_.tolist()} "
          f"(truth: {len(truth)} of {truth})")
    print(f"  weights {np.round(counter.weights_, 2).tolist()}; "
          f"ARI {ari:.3f} on the {labelled.mean():.0%} of points not at junctions")
    _save_scatter(out / "strata.png", X_train, counter.labels_, "strata found (PCA view)")

    _section("Density: held-out mean log-likelihood")
    mixture = StratifiedVAEMixture(
        latent_dims=counter.strata_dims_.tolist(), max_epochs=150, random_state=seed
    ).fit(X_train)
    gmm = _bic_gaussian_mixture(X_train, seed)
    print(f"  ScoreDiffusionDensity : {density.score(X_test):9.3f}")
    print(f"  StratifiedVAEMixture  : {mixture.score(X_test):9.3f}  "
          f"(latent dims {mixture.latent_dims_})")
    print(f"  GaussianMixture (BIC) : {gmm.score(X_test):9.3f}  ({gmm.n_components} components)")
    held_out = np.median(space.distance(X_test))
    for name, samples in [
        ("ScoreDiffusionDensity", density.sample(500)),
        ("StratifiedVAEMixture", mixture.sample(500)[0]),
        ("GaussianMixture", gmm.sample(500)[0]),
    ]:
        ratio = np.median(space.distance(samples)) / held_out
        print(f"  {name:22s} samples' median distance to the strata / held-out data's: "
              f"{ratio:.2f}")

    print(f"\nDone in {time.perf_counter() - start:.0f} s; plots in {out}/")

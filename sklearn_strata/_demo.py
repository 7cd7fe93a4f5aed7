"""The main job on the embedded default data set (``make demo``)."""

import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import train_test_split

from .datasets import make_lollipop

DEFAULT_AMBIENT_DIM = 10
DEFAULT_NOISE = 0.01
N_GENERATED = 500


def _section(title):
    print(f"\n== {title} ==", flush=True)


@contextmanager
def _torch_threads(n_threads):
    """Run torch on ``n_threads`` intra-op threads (None: leave torch's own setting)."""
    import torch

    previous = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _bic_gaussian_mixture(X, random_state, max_components=10):
    fits = [
        GaussianMixture(k, random_state=random_state).fit(X) for k in range(1, max_components + 1)
    ]
    return min(fits, key=lambda gm: gm.bic(X))


class _Plots:
    """Saves figures when matplotlib is installed, and says so once when it is not."""

    def __init__(self, out):
        self.out = out
        try:
            import matplotlib

            matplotlib.use("Agg")
            self.enabled = True
        except ImportError:
            self.enabled = False
            print("  (matplotlib is not installed: no plots; pip install sklearn_strata[plot])")

    def save(self, name, draw, *args, **kwargs):
        if not self.enabled:
            return
        import matplotlib.pyplot as plt

        fig = draw(*args, **kwargs)
        path = self.out / name
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        print(f"  saved {path}")


def run_demo(out="demo_output", seed=0, n_samples=2000, n_threads=None):
    """Run the pipeline on a noisy lollipop in R^10 and print what it finds.

    The steps: a diffusion model of the data, the local dimension of every point read off
    its score field, the strata, a dimension-aware VAE mixture with the strata's
    dimensions, and both density models against a BIC-selected Gaussian mixture on
    held-out data, with generated samples scored by their distance to the true strata.

    Parameters
    ----------
    out : str or path, default="demo_output"
        Folder for the plots.
    seed : int, default=0
        Seed of the data and the models.
    n_samples : int, default=2000
        Number of points of the default data set (a quarter is held out).
    n_threads : int or None, default=None
        Intra-op threads of torch. None keeps torch's own setting, one per core: on a
        quiet 2-core machine the diffusion model trains in about 20 s instead of 28 s on
        one thread. Pass 1 on a machine busy with other work, where oversubscribed
        threads slow training down.
    """
    from . import (
        ScoreDiffusionDensity,
        ScoreDimensionEstimator,
        StratifiedVAEMixture,
        StratumCounter,
    )
    from .plotting import (
        plot_dimension_histograms,
        plot_noise_level_curve,
        plot_points,
        plot_samples,
    )

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plots = _Plots(out)
    start = time.perf_counter()

    _section("Data: the default stratified space")
    X, y, space = make_lollipop(
        n_samples, ambient_dim=DEFAULT_AMBIENT_DIM, noise=DEFAULT_NOISE,
        random_state=seed, return_space=True,
    )
    print(f"  lollipop in R^{DEFAULT_AMBIENT_DIM}: disk + stick + point, noise {DEFAULT_NOISE}")
    print(f"  {X.shape[0]} points; true strata dimensions {space.strata_dims.tolist()}, "
          f"weights {np.round(space.weights, 2).tolist()}")
    plots.save("data_by_stratum.png", plot_points, X, y, kind="stratum",
               title="true strata (PCA view)")
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.25, random_state=seed)

    with _torch_threads(n_threads):
        _section("Score engine: diffusion model")
        step = time.perf_counter()
        density = ScoreDiffusionDensity(random_state=seed, verbose=True).fit(X_train)
        print(f"  trained in {time.perf_counter() - step:.0f} s; the network learns "
              f"{density.n_learned_directions_} principal directions, the other "
              f"{X.shape[1] - density.n_learned_directions_} are isotropic noise")

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
        plots.save("local_dimension.png", plot_points, X_train, dimensions.dimension_pw_,
                   kind="dimension", title="local dimension (PCA view)")
        plots.save("noise_level_curve.png", plot_noise_level_curve, dimensions)

        _section("Strata")
        counter = StratumCounter(dimensions).fit(X_train)
        labelled = counter.labels_ != -1
        ari = adjusted_rand_score(y_train[labelled], counter.labels_[labelled])
        truth = sorted(space.strata_dims.tolist(), reverse=True)
        print(f"  found {counter.n_strata_} strata of dimensions "
              f"{counter.strata_dims_.tolist()} (truth: {len(truth)} of {truth})")
        print(f"  weights {np.round(counter.weights_, 2).tolist()}; ARI {ari:.3f} on the "
              f"{labelled.mean():.0%} of points not at junctions")
        plots.save("strata.png", plot_points, X_train, counter.labels_, kind="stratum",
                   title="strata found (PCA view)")
        plots.save("dimension_histograms.png", plot_dimension_histograms, counter)

        _section("Density: held-out mean log-likelihood (nats per point)")
        mixture = StratifiedVAEMixture(
            stratum_counter=counter, max_epochs=100, random_state=seed, verbose=True
        ).fit(X_train)
        gmm = _bic_gaussian_mixture(X_train, seed)
        print(f"  ScoreDiffusionDensity : {density.score(X_test):9.3f}")
        print(f"  StratifiedVAEMixture  : {mixture.score(X_test):9.3f}  "
              f"(latent dims {mixture.latent_dims_} from the strata)")
        print(f"  GaussianMixture (BIC) : {gmm.score(X_test):9.3f}  "
              f"({gmm.n_components} components)")

        _section(f"Generated samples: median distance to the true strata ({N_GENERATED})")
        held_out = np.median(space.distance(X_test))
        print(f"  held-out data         : {held_out:.4f}")
        generated = {
            "ScoreDiffusionDensity": density.sample(N_GENERATED, random_state=seed),
            "StratifiedVAEMixture": mixture.sample(N_GENERATED, random_state=seed)[0],
            "GaussianMixture": gmm.sample(N_GENERATED)[0],
        }
        for name, samples in generated.items():
            distance = np.median(space.distance(samples))
            print(f"  {name:22s}: {distance:.4f} ({distance / held_out:.2f} x the data's)")
        plots.save("samples.png", plot_samples, X_test, generated["ScoreDiffusionDensity"],
                   title="diffusion samples over held-out data (PCA view)")

    print(f"\nDone in {time.perf_counter() - start:.0f} s; plots in {out}/")

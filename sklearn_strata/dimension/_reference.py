"""A data-side reference for the score field's readings: distances to neighbours.

The score field is read at one smoothing level; when the network has not learned it finely
enough there (high intrinsic dimension for the sample size, strongly non-uniform sampling,
an under-trained model) the readings can be wrong everywhere while looking clean. The
distances to the nearest neighbours give an independent, scale-free estimate of the local
dimension (Levina and Bickel's maximum-likelihood estimator, averaged over each point's
neighbourhood to tame its variance) against which every reading is checked.
"""

import numpy as np
from sklearn.neighbors import NearestNeighbors

_TINY = 1e-300


def _pointwise_mle(distances):
    """Levina-Bickel estimate from sorted neighbour distances of shape (n, k), k >= 3."""
    k = distances.shape[1]
    distances = np.maximum(distances, _TINY)
    logs = np.log(distances[:, -1:] / distances[:, :-1]).sum(axis=1)
    # (k - 2) / sum is the unbiased form of the inverse mean log-ratio.
    with np.errstate(divide="ignore"):
        return np.where(logs > 0, (k - 2) / np.maximum(logs, _TINY), 0.0)


class NeighborDistanceReference:
    """Local dimension from the distances to the ``n_neighbors`` nearest training points.

    Parameters
    ----------
    n_neighbors : int, default=20
        Neighbours per point, for the estimate and for its neighbourhood average.
    """

    def __init__(self, n_neighbors=20):
        self.n_neighbors = n_neighbors

    def fit(self, X):
        """Index ``X`` and compute the reference of every training point."""
        k = min(self.n_neighbors, X.shape[0] - 1)
        self.nn_ = NearestNeighbors(n_neighbors=k + 1).fit(X)
        distances, indices = self.nn_.kneighbors(X)
        if k >= 3:
            self.pointwise_ = _pointwise_mle(distances[:, 1:])
        else:
            self.pointwise_ = np.zeros(X.shape[0])
        self.reference_ = self.pointwise_[indices].mean(axis=1)
        return self

    def predict(self, X):
        """Neighbourhood average of the training points' estimates around new points."""
        k = self.nn_.n_neighbors - 1
        _, indices = self.nn_.kneighbors(X, n_neighbors=max(k, 1))
        return self.pointwise_[indices].mean(axis=1)

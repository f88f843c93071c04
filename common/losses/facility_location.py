"""Structured clustering (facility location) loss (Song, Jegelka, Rathod and Murphy, CVPR 2017).

With non-squared distances D over the batch, a set S of medoids scores
F(S) = -sum_i min_{j in S} D_ij, and each point belongs to its nearest
medoid (ties to the earlier medoid; a medoid always to its own cluster).
Loss-augmented inference looks for the clustering the network ranks best
while it disagrees most with the labels:

* greedy: |Y| times (Y: the batch's classes), add the candidate c not in S
  maximising F(S + c) + gamma (1 - NMI(y, assign(S + c))) (ties: lowest index);
* PAM refinement, ``pam_iterations`` times: assign the points, then for each
  cluster k in turn move its medoid to the member m maximising
  -sum_{i in k} D_im + gamma (1 - NMI(y, assign(S with k -> m))).

The ground truth scores F~(y) = sum_k -min_{m in k} sum_{i in k} D_im, and
    L = [F(S) + gamma (1 - NMI(y, assign(S))) - F~(y)]_+ .
Gradients flow through the distances of F(S) and F~(y) only. NMI is
geometric with natural logs, MI / max(sqrt(H(y) H(a)), 1e-10), and 1 when
both labelings are a single cluster.

The inference is discrete and data-dependent, so it runs as a custom
operator (numpy, vectorised over candidates, no gradient) inside the
otherwise ordinary graph; the block stays hybridizable. Candidates are
sample indices.
"""
import mxnet as mx
import numpy as np

from .base import PairwiseLoss
from .distances import Euclidean
from .masks import masked_min
from .parameters import at_least, check_parameters

OP_TYPE = 'dml_facility_location_inference'


def _label_index(labels):
    """Labels as 0..L-1 and L."""
    _, inverse = np.unique(np.asarray(labels).reshape(-1), return_inverse=True)
    return inverse, int(inverse.max()) + 1 if inverse.size else 0


def _entropy(counts, total):
    p = counts / total
    with np.errstate(divide='ignore', invalid='ignore'):
        terms = np.where(counts > 0, -p * np.log(np.where(counts > 0, p, 1)), 0.0)
    return np.maximum(terms.sum(axis=-1), 0.0)


def _cell_counts(cells, num_cells):
    """(row, cell, count) of the non-empty (row, cell) pairs of an (M, B) matrix of cell ids
    in [0, num_cells), ordered by row, then cell (as ``np.unique`` of row * num_cells + cell).

    Counting rather than sorting (the greedy inference's hot spot): the cells that occur
    anywhere are renumbered 0..U-1 in order and counted per row with one bincount over
    M x U bins. In the greedy step a point is in its current cluster or the candidate's,
    so U is at most twice the number of (cluster, label) cells; should U exceed a few
    times B (more bins than entries), it sorts instead.
    """
    m, b = cells.shape
    present = np.zeros(num_cells, dtype=bool)
    present[cells.reshape(-1)] = True
    used = np.flatnonzero(present)
    if len(used) > 4 * b:
        flat, counts = np.unique((np.arange(m)[:, None] * num_cells + cells).reshape(-1),
                                 return_counts=True)
        return flat // num_cells, flat % num_cells, counts
    compact = np.cumsum(present) - 1
    counts = np.bincount((np.arange(m)[:, None] * len(used) + compact[cells]).reshape(-1),
                         minlength=m * len(used)).reshape(m, len(used))
    row, column = np.nonzero(counts)
    return row, used[column], counts[row, column]


def _nmi_rows(assignments, y_index, num_labels):
    """NMI of each row of ``assignments`` (M, B; values 0..K-1) against ``y_index``."""
    m, b = assignments.shape
    k = int(assignments.max()) + 1
    row, cell, n_cell = _cell_counts(assignments * num_labels + y_index[None, :], k * num_labels)
    cluster, label = cell // num_labels, cell % num_labels
    n_cluster = np.bincount((np.arange(m)[:, None] * k + assignments).reshape(-1),
                            minlength=m * k).reshape(m, k)
    n_label = np.bincount(y_index, minlength=num_labels)
    terms = n_cell / b * np.log(n_cell * b / (n_cluster[row, cluster] * n_label[label]))
    mi = np.bincount(row, weights=terms, minlength=m)
    h_a, h_y = _entropy(n_cluster, b), _entropy(n_label, b)
    nmi = mi / np.maximum(np.sqrt(h_a * h_y), 1e-10)
    single = ((n_cluster > 0).sum(axis=1) == 1) & (num_labels == 1)
    return np.where(single, 1.0, nmi)


def _first_best(score):
    """Index of the maximum, the lowest among ties. Scores equal up to rounding count as
    tied: the same distances summed in another order can differ in the last bit."""
    top = score.max()
    return int(np.flatnonzero(score >= top - 1e-12 * (1 + abs(top)))[0])


def nmi(a, b):
    """Geometric NMI of two labelings (1 when both are one cluster)."""
    a_index, _ = _label_index(a)
    b_index, num_b = _label_index(b)
    return float(_nmi_rows(a_index[None, :], b_index, num_b)[0])


def assign(D, medoids):
    """Cluster of each point: its nearest medoid (earliest on ties), medoids to their own."""
    medoids = np.asarray(medoids, dtype=np.int64)
    out = np.argmin(np.asarray(D)[:, medoids], axis=1)
    out[medoids] = np.arange(len(medoids))
    return out


def greedy_medoids(D, labels, gamma):
    """Greedy loss-augmented facility location: one medoid per class of the batch."""
    D = np.asarray(D, dtype=np.float64)
    y, num_labels = _label_index(labels)
    n = D.shape[0]
    chosen = []
    nearest = np.full(n, np.inf)               # distance to the nearest chosen medoid
    cluster = np.zeros(n, dtype=np.int64)      # assignment to the chosen medoids
    for step in range(num_labels):
        free = np.setdiff1d(np.arange(n), chosen)
        to_cand = D[:, free].T                                   # (M, B)
        energy = -np.minimum(nearest[None, :], to_cand).sum(axis=1)
        trial = np.where(to_cand < nearest[None, :], step, cluster[None, :])
        trial[np.arange(len(free)), free] = step                 # a candidate is its own medoid
        score = energy + gamma * (1 - _nmi_rows(trial, y, num_labels))
        best = _first_best(score)
        c = int(free[best])
        chosen.append(c)
        cluster = trial[best]
        nearest = np.minimum(nearest, D[:, c])
    return chosen


def pam_refine(D, labels, medoids, gamma, iterations=5):
    """Partitioning-around-medoids swaps scored with the NMI margin."""
    D = np.asarray(D, dtype=np.float64)
    y, num_labels = _label_index(labels)
    medoids = [int(m) for m in medoids]
    for _ in range(iterations):
        start = assign(D, medoids)
        for k in range(len(medoids)):
            members = np.flatnonzero(start == k)
            to_medoids = np.repeat(D[:, medoids][None], len(members), axis=0)   # (M, B, K)
            to_medoids[:, :, k] = D[:, members].T
            trial = np.argmin(to_medoids, axis=2)
            others = np.delete(np.arange(len(medoids)), k)   # the other medoids keep their
            trial[:, np.asarray(medoids)[others]] = others   # clusters (no loop over them)
            trial[np.arange(len(members)), members] = k
            within = -D[np.ix_(members, members)].sum(axis=0)
            score = within + gamma * (1 - _nmi_rows(trial, y, num_labels))
            medoids[k] = int(members[_first_best(score)])
    return medoids


def ground_truth_medoids(D, labels):
    """For each class, the member with the least summed distance to its class (first on ties).

    All classes at once: ``within[j]`` is j's summed distance to its class; each point's row
    of ``candidates`` holds ``within`` on its class-mates, so a row's argmin is its class's
    medoid. Masked sums add zeros in row order, so ties stay the exact ties of a per-class sum.
    """
    D = np.asarray(D, dtype=np.float64)
    y, _ = _label_index(labels)
    same = y[:, None] == y[None, :]
    within = np.where(same, D, 0.0).sum(axis=0)
    medoid_of_row = np.argmin(np.where(same, within[None, :], np.inf), axis=1)
    _, first = np.unique(y, return_index=True)              # one row per class, in label order
    return [int(m) for m in medoid_of_row[first]]


class FacilityLocationInference(mx.operator.CustomOp):
    """(D, labels) -> (predicted medoid mask, ground-truth medoid mask, gamma (1 - NMI))."""

    def __init__(self, gamma, pam_iterations):
        super().__init__()
        self.gamma, self.pam_iterations = gamma, pam_iterations

    def forward(self, is_train, req, in_data, out_data, aux):
        D = in_data[0].asnumpy().astype(np.float64)
        labels = in_data[1].asnumpy().reshape(-1)
        medoids = greedy_medoids(D, labels, self.gamma)
        if self.pam_iterations:
            medoids = pam_refine(D, labels, medoids, self.gamma, self.pam_iterations)
        predicted, truth = np.zeros(D.shape[0]), np.zeros(D.shape[0])
        predicted[medoids] = 1
        truth[ground_truth_medoids(D, labels)] = 1
        margin = self.gamma * (1 - nmi(labels, assign(D, medoids)))
        for i, value in enumerate((predicted, truth, np.array([margin]))):
            self.assign(out_data[i], req[i], mx.nd.array(value, dtype=out_data[i].dtype))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        for i in range(len(in_grad)):
            self.assign(in_grad[i], req[i], mx.nd.zeros_like(in_grad[i]))


@mx.operator.register(OP_TYPE)
class FacilityLocationInferenceProp(mx.operator.CustomOpProp):
    def __init__(self, gamma='1.0', pam_iterations='5'):
        super().__init__(need_top_grad=False)
        self.gamma, self.pam_iterations = float(gamma), int(pam_iterations)

    def list_arguments(self):
        return ['distances', 'labels']

    def list_outputs(self):
        return ['predicted', 'truth', 'margin']

    def infer_shape(self, in_shape):
        n = in_shape[0][0]
        return in_shape, [(n,), (n,), (1,)], []

    def infer_type(self, in_type):
        return in_type, [in_type[0]] * 3, []

    def create_operator(self, ctx, shapes, dtypes):
        return FacilityLocationInference(self.gamma, self.pam_iterations)


class FacilityLocationLoss(PairwiseLoss):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar; see the module text.

    Parameters:
        gamma (float): the weight of the NMI margin in the inference and the loss.
        pam_iterations (int): PAM refinement passes after the greedy inference (0: none).
    """
    distance = Euclidean()
    parameter_checks = {'gamma': at_least(0), 'pam_iterations': at_least(0, integer=True)}

    def __init__(self, gamma=1.0, pam_iterations=5, **kwargs):
        super().__init__(**kwargs)
        check_parameters(type(self), gamma=gamma, pam_iterations=pam_iterations)
        self.gamma, self.pam_iterations = float(gamma), int(pam_iterations)

    def formula(self, F, x, labels, dist, masks):
        predicted, truth, margin = F.Custom(F.BlockGrad(dist), labels, op_type=OP_TYPE,
                                            gamma=repr(self.gamma),
                                            pam_iterations=str(self.pam_iterations))
        # F(S): each point's distance to its nearest predicted medoid.
        to_medoids = F.broadcast_like(predicted.reshape((1, -1)), dist)
        energy = -F.sum(masked_min(F, dist, to_medoids, axis=1))
        # F~(y): each true medoid's summed distance to its class.
        within = F.sum(dist * masks.same, axis=0)
        truth_energy = -F.sum(within * truth)
        return F.relu(energy + margin.reshape((1,)) - truth_energy)

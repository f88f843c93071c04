"""Direction Regularization (Mohan et al., CVPR 2020) and its triplet form.

DR wants a negative pushed away from the anchor-positive pair without being
pushed into the positive's cluster. No official code exists and the paper's
equations could not be read; the public re-implementations agree on a
cosine ingredient R(a, p, n) but not on its angle or sign, so both are
switchable:

* ``angle='phi'`` (the reproductions; default): u = n - a, v = p - a;
* ``angle='theta'`` (the paper's figure; c = (a + p) / 2): u = n - c, v = a - p;
* R = <u, v> / (|u| |v|).

The regulariser adds ``sign * gamma * R`` to each negative's distance (or
subtracts it from its similarity), which for the triplet loss gives the
alpoler form [d_ap - d_an + m - gamma R]_+ whose authors corresponded with
the paper's authors.

Numerics (a public reproduction never trained because of 0/0): R is computed
from Gram entries in the loss's own precision, every squared norm is clamped
at tau^2 *before* it is divided by, R is clipped to [-1, 1], and triplets with
|u| <= tau or |v| <= tau (anchor on its positive, negative on the midpoint)
get R = 0, so no NaN can reach the forward or the backward pass.
"""
from mxnet.gluon import HybridBlock

from ..distances import euclidean
from ..mining import label_masks

ANGLES = ('phi', 'theta')


def check_angle(angle):
    if angle not in ANGLES:
        raise ValueError("direction regularisation angle must be 'phi' or 'theta', not %r"
                         % angle)
    return angle


def dr_cosine(F, s_aa, s_pp, s_nn, s_ap, s_an, s_pn, angle='phi', tau=1e-3):
    """R(a, p, n) from dot products s_xy = <x, y>, all of one shape or broadcastable ones.

    With broadcastable shapes each partial sum keeps only the axes its terms have, so for
    the all-triplet cube only the terms that involve a, p and n at once are B x B x B
    (for phi, |n - a| and |p - a| stay B x B matrices).
    """
    add, sub, mul = F.broadcast_add, F.broadcast_sub, F.broadcast_mul
    if angle == 'phi':
        dot = add(sub(s_pn, s_an), sub(s_aa, s_ap))               # <n - a, p - a>
        u2 = add(sub(s_nn, 2 * s_an), s_aa)                      # |n - a|^2
    else:
        dot = sub(sub(s_an, s_pn), 0.5 * sub(s_aa, s_pp))         # <n - c, a - p>
        u2 = add(sub(sub(s_nn, s_an), s_pn),
                 0.25 * add(add(s_aa, 2 * s_ap), s_pp))          # |n - c|^2
    v2 = add(sub(s_aa, 2 * s_ap), s_pp)                          # |p - a|^2 = |a - p|^2
    tau2 = tau * tau
    cos = F.broadcast_div(dot, F.sqrt(mul(F.maximum(u2, tau2), F.maximum(v2, tau2))))
    valid = mul(u2 > tau2, v2 > tau2)
    return mul(F.clip(cos, -1.0, 1.0), valid)


class DirectionRegularizedTripletLoss(HybridBlock):
    """All-triplet loss with Direction Regularization, averaged over the triplets.

    For every (a, p, n) with p != a a positive and n a negative of a:
    ``max(0, d_ap - d_an + margin - sign * gamma * R(a, p, n))`` with Euclidean
    distances; the loss is the mean over all such triplets (0 without any).
    ``gamma = 0`` gives the plain all-triplet loss.

    ``positive_slots=None`` works for any batch and costs O(B^3) time and memory: every
    (a, p, n) of the B x B x B cube is a term (only the few operations that need all three
    axes are cubes). With ``positive_slots=S`` the positives of each anchor are first
    gathered into S slots (a fixed-size ``topk`` on the positive mask, so the block still
    hybridizes), and the cube is B x S x B: for P x K batches (at most K - 1 positives per
    anchor, S = K - 1) the same value and gradient at a fraction of the cost. Slots beyond an
    anchor's positives are masked out; the normaliser is the number of valid triplets, as in
    the full cube.

    Overflow: an anchor with more than S positives would lose triplets, so the block counts
    the positives of every anchor in-graph and, if any has more than S, returns NaN (and NaN
    gradients) instead of a silently wrong loss; the training loop's non-finite guard then
    stops the run. An exception is not possible inside a hybridized graph without a
    synchronisation per step, and a fallback to the cube would hide a sampler that does not
    deliver what it promises. Pass S only with a sampler that bounds the class counts.
    """

    def __init__(self, margin=0.2, gamma=0.3, angle='phi', sign=1.0, tau=1e-3,
                 positive_slots=None, **kwargs):
        super().__init__(**kwargs)
        self.margin, self.gamma, self.sign, self.tau = margin, gamma, sign, tau
        self.angle = check_angle(angle)
        if positive_slots is not None and (int(positive_slots) != positive_slots
                                           or positive_slots < 1):
            raise ValueError('positive_slots must be None or a positive integer, not %r'
                             % (positive_slots,))
        self.positive_slots = None if positive_slots is None else int(positive_slots)

    def hybrid_forward(self, F, x, labels):
        dist = euclidean(F, x)
        _, positive, negative = label_masks(F, labels, dist)
        if self.positive_slots is None:
            return self._cube(F, x, dist, positive, negative)
        return self._slotted(F, x, dist, positive, negative, self.positive_slots)

    def _regularised(self, F, terms, s_aa, s_pp, s_nn, s_ap, s_an, s_pn):
        # Each dot product enters with only its own axes; dr_cosine broadcasts.
        r = dr_cosine(F, s_aa, s_pp, s_nn, s_ap, s_an, s_pn, self.angle, self.tau)
        return terms - (self.sign * self.gamma) * r

    def _cube(self, F, x, dist, positive, negative):
        # Axes (a, p, n): d_ap + margin - d_an, broadcast from the B x B matrix.
        terms = F.broadcast_sub((dist + self.margin).expand_dims(2), dist.expand_dims(1))
        if self.gamma:   # gamma = 0 is the plain loss: R is not needed
            gram = F.dot(x, x, transpose_b=True)
            norms = F.sum(F.square(x), axis=1)
            terms = self._regularised(
                F, terms, norms.reshape((-1, 1, 1)), norms.reshape((1, -1, 1)),
                norms.reshape((1, 1, -1)), gram.expand_dims(2), gram.expand_dims(1),
                gram.expand_dims(0))
        valid = F.broadcast_mul(positive.expand_dims(2), negative.expand_dims(1))
        return F.sum(F.relu(terms) * valid) / F.maximum(F.sum(valid), 1)

    def _slotted(self, F, x, dist, positive, negative, slots):
        # The positive mask padded with `slots` zero columns, so that topk(k=slots) is
        # defined for any batch size.
        pad = F.broadcast_axis(F.zeros_like(F.slice_axis(positive, axis=1, begin=0, end=1)),
                               axis=1, size=slots)
        padded = F.concat(positive, pad, dim=1)
        # Positives (1) rank above everything else (0): with at most `slots` positives, all
        # of them are picked; the other picks land on zeros and are masked out below.
        picks = F.topk(padded, axis=1, k=slots, ret_typ='indices')                # (B, S)
        rows = F.broadcast_like(F.contrib.arange_like(picks, axis=0).reshape((-1, 1)), picks)
        slot_valid = F.gather_nd(padded, F.stack(rows, picks, axis=0))            # (B, S)
        # Index of each slot's positive, 0 (a real sample, masked) for an empty slot; the
        # indices stay in topk's float32 (exact up to 2^24 samples).
        p_index = picks * F.cast(slot_valid, 'float32')
        pairs = F.stack(rows, p_index, axis=0)
        d_ap = F.gather_nd(dist, pairs)
        # Axes (a, slot, n).
        terms = F.broadcast_sub((d_ap + self.margin).expand_dims(2), dist.expand_dims(1))
        if self.gamma:   # as in _cube, with the slot's positive gathered
            gram = F.dot(x, x, transpose_b=True)
            norms = F.sum(F.square(x), axis=1)
            s_ap = F.gather_nd(gram, pairs)
            terms = self._regularised(
                F, terms, norms.reshape((-1, 1, 1)), F.take(norms, p_index).expand_dims(2),
                norms.reshape((1, 1, -1)), s_ap.expand_dims(2), gram.expand_dims(1),
                F.take(gram, p_index))                                            # (B, S, B)
        valid = F.broadcast_mul(slot_valid.expand_dims(2), negative.expand_dims(1))
        loss = F.sum(F.relu(terms) * valid) / F.maximum(F.sum(valid), 1)
        # More positives than slots somewhere: NaN value and gradient (see the docstring).
        overflow = F.max(F.sum(positive, axis=1)) > slots
        zero = F.zeros_like(overflow)
        return loss * F.BlockGrad(F.where(overflow, zero / zero, zero + 1))

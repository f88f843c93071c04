"""All-triplet loss with Direction Regularization (Mohan et al., CVPR 2020)."""
from .base import PairwiseLoss
from .direction import DirectionRegularizer, in_use
from .distances import Euclidean
from .parameters import at_least, check_parameters
from .reductions import Mean


class DirectionRegularizedTripletLoss(PairwiseLoss):
    """For every (a, p, n) with p != a a positive and n a negative of a, with Euclidean D:
    ``[D_ap + margin - D'_an]_+``, D' the negative distances as ``direction`` regularises
    them (``DirectionRegularizer(gamma=0)`` gives the plain all-triplet loss); the loss
    is the mean over all such triplets (0 without any).

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

    Parameters:
        margin (float): the triplet margin.
    """
    parameter_checks = {'positive_slots': at_least(1, integer=True)}
    distance, reduction = Euclidean(), Mean()   # over the valid triplets

    def __init__(self, margin=0.2, direction=DirectionRegularizer(), positive_slots=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.margin, self.direction = margin, in_use(direction)
        check_parameters(type(self), positive_slots=positive_slots)
        self.positive_slots = None if positive_slots is None else int(positive_slots)

    def formula(self, F, x, labels, dist, masks):
        if self.positive_slots is None:       # axes (a, p, n)
            d_ap, pair_valid, picked = dist, masks.positive, None
        else:                                 # axes (a, slot, n)
            d_ap, pair_valid, picked = self._slots(F, dist, masks.positive)
        d_an = dist.expand_dims(1)
        if self.direction is not None:
            d_an = self._regularised(F, x, d_an, picked)
        terms = F.broadcast_sub((d_ap + self.margin).expand_dims(2), d_an)
        valid = F.broadcast_mul(pair_valid.expand_dims(2), masks.negative.expand_dims(1))
        loss = self.reduction(F, F.relu(terms), valid)
        if self.positive_slots is None:
            return loss
        # More positives than slots somewhere: NaN value and gradient (see the docstring).
        overflow = F.max(F.sum(masks.positive, axis=1)) > self.positive_slots
        zero = F.zeros_like(overflow)
        return loss * F.BlockGrad(F.where(overflow, zero / zero, zero + 1))

    def _slots(self, F, dist, positive):
        """(a, slot) matrices: D_ap of each slot's positive, whether the slot holds one, and
        where the positive is (its index, and the (row, index) pairs of gather_nd)."""
        slots = self.positive_slots
        # The positive mask padded with `slots` zero columns, so that topk(k=slots) is
        # defined for any batch size.
        pad = F.broadcast_axis(F.zeros_like(F.slice_axis(positive, axis=1, begin=0, end=1)),
                               axis=1, size=slots)
        padded = F.concat(positive, pad, dim=1)
        # Positives (1) rank above everything else (0): with at most `slots` positives, all
        # of them are picked; the other picks land on zeros and are masked out below.
        picks = F.topk(padded, axis=1, k=slots, ret_typ='indices')
        rows = F.broadcast_like(F.contrib.arange_like(picks, axis=0).reshape((-1, 1)), picks)
        slot_valid = F.gather_nd(padded, F.stack(rows, picks, axis=0))
        # Index of each slot's positive, 0 (a real sample, masked) for an empty slot; the
        # indices stay in topk's float32 (exact up to 2^24 samples).
        p_index = picks * F.cast(slot_valid, 'float32')
        pairs = F.stack(rows, p_index, axis=0)
        return F.gather_nd(dist, pairs), slot_valid, (p_index, pairs)

    def _regularised(self, F, x, d_an, picked):
        """D_an regularised on the (a, p or slot, n) axes. Each dot product enters with
        only its own axes (dr_cosine broadcasts); ``picked`` locates the slots' positives."""
        gram = F.dot(x, x, transpose_b=True)
        norms = F.sum(F.square(x), axis=1)
        if picked is None:
            s_pp, s_ap, s_pn = norms.reshape((1, -1, 1)), gram.expand_dims(2), gram.expand_dims(0)
        else:
            p_index, pairs = picked
            s_pp = F.take(norms, p_index).expand_dims(2)
            s_ap = F.gather_nd(gram, pairs).expand_dims(2)
            s_pn = F.take(gram, p_index)
        return self.direction.distances(F, d_an, norms.reshape((-1, 1, 1)), s_pp,
                                        norms.reshape((1, 1, -1)), s_ap, gram.expand_dims(1),
                                        s_pn)

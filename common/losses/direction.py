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
    ``gamma = 0`` gives the plain all-triplet loss. O(B^3) time and memory: every triplet
    is a term; only the few cube-sized operations that need all three axes are cubes.
    """

    def __init__(self, margin=0.2, gamma=0.3, angle='phi', sign=1.0, tau=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.margin, self.gamma, self.sign, self.tau = margin, gamma, sign, tau
        self.angle = check_angle(angle)

    def hybrid_forward(self, F, x, labels):
        dist = euclidean(F, x)
        _, positive, negative = label_masks(F, labels, dist)
        # Axes (a, p, n): d_ap + margin - d_an, broadcast from the B x B matrix.
        terms = F.broadcast_sub((dist + self.margin).expand_dims(2), dist.expand_dims(1))
        if self.gamma:   # gamma = 0 is the plain loss: R is not needed
            gram = F.dot(x, x, transpose_b=True)
            norms = F.sum(F.square(x), axis=1)
            # Each dot product enters with only its own axes; dr_cosine broadcasts.
            r = dr_cosine(F, norms.reshape((-1, 1, 1)), norms.reshape((1, -1, 1)),
                          norms.reshape((1, 1, -1)), gram.expand_dims(2), gram.expand_dims(1),
                          gram.expand_dims(0), self.angle, self.tau)
            terms = terms - (self.sign * self.gamma) * r
        valid = F.broadcast_mul(positive.expand_dims(2), negative.expand_dims(1))
        return F.sum(F.relu(terms) * valid) / F.maximum(F.sum(valid), 1)

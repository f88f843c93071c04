"""Direction Regularization (Mohan et al., CVPR 2020): a modifier of negative distances.

DR pushes a negative n away from the anchor-positive pair (a, p) without pushing it into
the positive's cluster, through a cosine R(a, p, n) = <u, v> / (|u| |v|):

* ``angle='phi'`` (the public reproductions; default): u = n - a, v = p - a;
* ``angle='theta'`` (the paper's figure; c = (a + p) / 2): u = n - c, v = a - p.

It adds ``sign * gamma * R`` to each negative's distance (subtracts it from a
similarity); for the triplet loss that is the alpoler form
[d_ap - d_an + m - gamma R]_+.

Numerics: R is computed from Gram entries in the loss's own precision, every squared
norm is clamped at tau^2 before it is divided by, R is clipped to [-1, 1], and triplets
with |u| <= tau or |v| <= tau get R = 0, so no NaN reaches either pass.
"""

from .parameters import check_parameters, one_of

ANGLES = ('phi', 'theta')


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


class DirectionRegularizer:
    """The modifier. A loss hands it the negatives' distances (or similarities) and the dot
    products s_aa, s_pp, s_nn, s_ap, s_an, s_pn of its (anchor, positive, negative)
    triples, in broadcastable shapes; it returns them regularised.

    Parameters:
        gamma (float): the weight of the direction regulariser (0: none, the plain loss).
        angle (one of 'phi', 'theta'): phi: angle(n - a, p - a); theta: angle(n - c, a - p).
        sign (one of 1.0, -1.0): the sign convention of the regulariser.
        tau (float): the degeneracy threshold on |u| and |v|.
    """
    parameter_checks = {'angle': one_of(*ANGLES), 'sign': one_of(1.0, -1.0)}

    def __init__(self, gamma=0.3, angle='phi', sign=1.0, tau=1e-3):
        check_parameters(type(self), angle=angle, sign=sign)
        self.gamma, self.sign, self.tau, self.angle = gamma, sign, tau, angle

    @property
    def active(self):
        return bool(self.gamma)

    def __repr__(self):
        return 'DirectionRegularizer(gamma=%r, angle=%r, sign=%r, tau=%r)' % (
            self.gamma, self.angle, self.sign, self.tau)

    def _weighted(self, F, dots):
        return (self.sign * self.gamma) * dr_cosine(F, *dots, angle=self.angle, tau=self.tau)

    def distances(self, F, d_an, *dots):
        """d_an + sign * gamma * R(a, p, n)."""
        return F.broadcast_add(d_an, self._weighted(F, dots))

    def similarities(self, F, s_an, *dots):
        """s_an - sign * gamma * R(a, p, n)."""
        return F.broadcast_sub(s_an, self._weighted(F, dots))


def in_use(direction):
    """``direction`` if it regularises at all, else None (the loss skips R entirely)."""
    return direction if direction is not None and direction.active else None

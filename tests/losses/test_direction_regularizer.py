"""Direction Regularization as a modifier of negative distances (common.losses.direction)."""
import mxnet as mx
import numpy as np
import pytest

from common.losses.direction import DirectionRegularizer, dr_cosine, in_use
from references.direction import dr_cosine as reference_cosine


def triples(rng, n=5, dim=4):
    a, p, q = rng.randn(n, dim), rng.randn(n, dim), rng.randn(n, dim)
    dots = [np.sum(u * v, axis=1) for u, v in ((a, a), (p, p), (q, q), (a, p), (a, q), (p, q))]
    return (a, p, q), [mx.nd.array(d, dtype='float64') for d in dots]


@pytest.mark.parametrize('angle', ['phi', 'theta'])
@pytest.mark.parametrize('sign,gamma', [(1.0, 0.3), (-1.0, 0.5)])
def test_modifies_distances_up_and_similarities_down(angle, sign, gamma):
    rng = np.random.RandomState(0)
    (a, p, q), dots = triples(rng)
    dr = DirectionRegularizer(gamma, angle, sign, tau=1e-3)
    r = np.array([reference_cosine(a[i], p[i], q[i], angle, 1e-3) for i in range(len(a))])
    base = mx.nd.array(rng.rand(len(a)), dtype='float64')
    np.testing.assert_allclose(dr.distances(mx.nd, base, *dots).asnumpy(),
                               base.asnumpy() + sign * gamma * r, rtol=1e-12)
    np.testing.assert_allclose(dr.similarities(mx.nd, base, *dots).asnumpy(),
                               base.asnumpy() - sign * gamma * r, rtol=1e-12)
    np.testing.assert_allclose(dr_cosine(mx.nd, *dots, angle=angle).asnumpy(), r, rtol=1e-10)


def test_broadcasts_the_negatives_over_the_triples():
    rng = np.random.RandomState(1)
    _, dots = triples(rng, n=3)
    d_an = mx.nd.ones((3, 1, 1), dtype='float64')
    cube = [d.reshape((3, 1, 1)) for d in dots[:4]] + [d.reshape((1, 1, 3)) for d in dots[4:]]
    assert DirectionRegularizer().distances(mx.nd, d_an, *cube).shape == (3, 1, 3)


def test_degenerate_triples_are_not_regularised():
    # The anchor on its positive: |p - a| = 0, R = 0, the distance is unchanged.
    dots = [mx.nd.array([v], dtype='float64') for v in (1.0, 1.0, 1.0, 1.0, 0.0, 0.0)]
    d = mx.nd.array([0.7], dtype='float64')
    assert DirectionRegularizer(0.3).distances(mx.nd, d, *dots).asscalar() == 0.7


def test_in_use_and_defaults():
    assert in_use(None) is None
    assert in_use(DirectionRegularizer(gamma=0.0)) is None
    dr = DirectionRegularizer()
    assert in_use(dr) is dr and dr.active
    assert (dr.gamma, dr.angle, dr.sign, dr.tau) == (0.3, 'phi', 1.0, 1e-3)
    assert 'theta' in repr(DirectionRegularizer(angle='theta'))


def test_unknown_angle():
    with pytest.raises(ValueError, match=r"angle must be one of 'phi', 'theta' \(got 'psi'\)"):
        DirectionRegularizer(angle='psi')

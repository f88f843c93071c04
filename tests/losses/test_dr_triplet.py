import mxnet as mx
import numpy as np
import pytest

from common.losses import DirectionRegularizedTripletLoss, DirectionRegularizer, dr_cosine
from loss_checks import (
    assert_finite,
    assert_matches_reference,
    degenerate_batches,
    make_block,
    run_block,
)
from references.direction import dr_cosine as reference_cosine
from references.direction import dr_triplet_loss


def dr_triplet(margin=0.2, positive_slots=None, **direction):
    """The loss with its regulariser given by keyword (gamma, angle, sign, tau), as the
    reference takes it."""
    return DirectionRegularizedTripletLoss(margin, DirectionRegularizer(**direction),
                                           positive_slots)


@pytest.mark.parametrize('angle', ['phi', 'theta'])
def test_cosine_from_dot_products(angle):
    rng = np.random.RandomState(0)
    for _ in range(20):
        a, p, n = rng.randn(3, 5)
        dots = {k: mx.nd.array([float(np.dot(u, v))], dtype='float64') for k, (u, v) in
                dict(aa=(a, a), pp=(p, p), nn=(n, n), ap=(a, p), an=(a, n), pn=(p, n)).items()}
        got = dr_cosine(mx.nd, dots['aa'], dots['pp'], dots['nn'], dots['ap'], dots['an'],
                        dots['pn'], angle, 1e-3).asscalar()
        assert got == pytest.approx(reference_cosine(a, p, n, angle, 1e-3), abs=1e-10)


@pytest.mark.parametrize('n,dim,classes,seed', [
    (8, 3, 2, 0), (12, 8, 3, 1),
    pytest.param(16, 16, 4, 2, marks=pytest.mark.slow)])  # about 2-2.5 s each here
@pytest.mark.parametrize('angle,sign,gamma,margin', [('phi', 1.0, 0.3, 0.2),
                                                     ('theta', 1.0, 0.5, 0.3),
                                                     ('phi', -1.0, 0.3, 0.2),
                                                     ('phi', 1.0, 0.0, 0.2)])
def test_triplet_matches_reference(n, dim, classes, seed, angle, sign, gamma, margin):
    rng = np.random.RandomState(seed)
    x, labels = rng.randn(n, dim) * 0.5, rng.randint(0, classes, n)
    kw = dict(margin=margin, gamma=gamma, angle=angle, sign=sign, tau=1e-3)
    assert_matches_reference(lambda: dr_triplet(**kw),
                             lambda z, y: dr_triplet_loss(z, y, **kw), x, labels)


def test_anchor_equal_to_positive_is_masked_not_nan():
    # The division by |p - a| that stopped a public reproduction: a == p exactly.
    x = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    labels = np.array([0, 0, 1, 1])
    kw = dict(margin=0.2, gamma=0.3, tau=1e-3)
    assert_matches_reference(lambda: dr_triplet(**kw),
                             lambda z, y: dr_triplet_loss(z, y, **kw), x, labels)
    assert_finite(lambda: dr_triplet(**kw), x, labels)


@pytest.mark.parametrize('angle', ['phi', 'theta'])
@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()))
def test_finite_on_degenerate_batches(angle, name, x, labels):
    assert_finite(lambda: dr_triplet(angle=angle), x, labels)


def test_unknown_angle():
    with pytest.raises(ValueError, match=r"angle must be one of 'phi', 'theta' \(got 'psi'\)"):
        dr_triplet(angle='psi')


# --- positive slots: the B x S x B form for P x K batches ------------------------------

def pk_batch(rng, classes, k, dim, short=0, shuffle=False):
    """P x K labels (the last class ``short`` images short) and random embeddings."""
    labels = np.repeat(rng.permutation(10 * classes)[:classes], k)[:classes * k - short]
    if shuffle:
        labels = rng.permutation(labels)
    return rng.randn(len(labels), dim) * 0.5, labels


def max_positives(labels):
    return int(np.unique(labels, return_counts=True)[1].max()) - 1


def assert_slotted_equals_cube(kw, slots, x, labels, dtype='float64'):
    """Value and gradient of the slotted loss equal those of the full cube, both modes."""
    for hybridize in (False, True):
        cube = run_block(make_block(lambda: dr_triplet(**kw), hybridize, dtype), x, labels,
                         dtype)
        slotted = run_block(make_block(lambda: dr_triplet(positive_slots=slots, **kw),
                                       hybridize, dtype), x, labels, dtype)
        tol = 1e-12 if dtype == 'float64' else 1e-5
        np.testing.assert_allclose(slotted[0], cube[0], rtol=tol, atol=tol)
        np.testing.assert_allclose(slotted[1], cube[1], rtol=tol, atol=tol)
        assert np.isfinite(slotted[0]).all() and np.isfinite(slotted[1]).all()


SLOT_LOSSES = [('phi', 1.0, 0.3, 0.2), ('theta', 1.0, 0.3, 0.2), ('phi', 1.0, 0.0, 0.2),
               ('theta', 1.0, 0.0, 0.5), ('phi', -1.0, 0.3, 0.0), ('theta', 1.0, 0.5, 1.0)]


@pytest.mark.parametrize('angle,sign,gamma,margin', SLOT_LOSSES)
@pytest.mark.parametrize('classes,k,dim,short,shuffle,seed', [
    (3, 3, 4, 0, False, 0),     # P x K, class-contiguous as the sampler lays it out
    (4, 4, 3, 2, True, 1),      # a short class and a shuffled order: nothing assumes either
])
def test_slotted_matches_reference(classes, k, dim, short, shuffle, seed, angle, sign, gamma,
                                   margin):
    rng = np.random.RandomState(seed)
    x, labels = pk_batch(rng, classes, k, dim, short, shuffle)
    kw = dict(margin=margin, gamma=gamma, angle=angle, sign=sign, tau=1e-3)
    assert_matches_reference(lambda: dr_triplet(positive_slots=k - 1, **kw),
                             lambda z, y: dr_triplet_loss(z, y, **kw), x, labels)


@pytest.mark.parametrize('angle,sign,gamma,margin', SLOT_LOSSES)
@pytest.mark.parametrize('extra_slots', [0, 3])     # spare slots are masked out
def test_slotted_equals_full_cube_on_pk_batches(angle, sign, gamma, margin, extra_slots):
    rng = np.random.RandomState(7)
    kw = dict(margin=margin, gamma=gamma, angle=angle, sign=sign, tau=1e-3)
    for classes, k in [(2, 2), (5, 4), (8, 5)]:
        x, labels = pk_batch(rng, classes, k, 16)
        x /= np.linalg.norm(x, axis=1, keepdims=True)     # the script's normalised head
        assert_slotted_equals_cube(kw, k - 1 + extra_slots, x, labels)
        assert_slotted_equals_cube(kw, k - 1 + extra_slots, x, labels, 'float32')


@pytest.mark.parametrize('angle', ['phi', 'theta'])
@pytest.mark.parametrize('gamma', [0.0, 0.3])
@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()))
def test_slotted_on_degenerate_batches(angle, gamma, name, x, labels):
    # Duplicates, a collapsed batch, zeros, no positives at all, fewer samples than slots:
    # the same value as the reference (to the rounding of Gram-expanded distances between
    # very close points), the same value and gradient as the cube, finite.
    kw = dict(margin=0.2, gamma=gamma, angle=angle, tau=1e-3)
    slots = max(max_positives(labels), 1)
    assert_slotted_equals_cube(kw, slots, x, labels)
    assert_slotted_equals_cube(kw, slots + 2, x, labels)
    for hybridize in (False, True):
        block = make_block(lambda: dr_triplet(positive_slots=slots, **kw), hybridize)
        np.testing.assert_allclose(run_block(block, x, labels)[0],
                                   dr_triplet_loss(x, labels, **kw), rtol=1e-6, atol=1e-6)
    assert_finite(lambda: dr_triplet(positive_slots=slots, **kw), x, labels)


def test_slotted_anchor_equal_to_positive():
    x = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    labels = np.array([0, 0, 1, 1])
    for angle in ('phi', 'theta'):
        kw = dict(margin=0.2, gamma=0.3, angle=angle, tau=1e-3)
        assert_matches_reference(lambda: dr_triplet(positive_slots=1, **kw),
                                 lambda z, y: dr_triplet_loss(z, y, **kw), x, labels)
        assert_finite(lambda: dr_triplet(positive_slots=1, **kw), x, labels)


@pytest.mark.parametrize('gamma', [0.0, 0.3])
def test_more_positives_than_slots_is_nan_not_a_silent_drop(gamma):
    # One class of 4 (3 positives per anchor) with 2 slots: triplets would be lost, so the
    # value and every gradient entry are NaN; the training loop stops on it.
    rng = np.random.RandomState(3)
    x = rng.randn(8, 4)
    labels = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    for dtype in ('float64', 'float32'):
        for hybridize in (False, True):
            block = make_block(lambda: dr_triplet(gamma=gamma, positive_slots=2), hybridize,
                               dtype)
            value, grad, _ = run_block(block, x, labels, dtype)
            assert np.isnan(value).all() and np.isnan(grad).all()
            # One slot more and it is exact again.
            exact = run_block(make_block(lambda: dr_triplet(
                gamma=gamma, positive_slots=3), hybridize, dtype), x, labels, dtype)[0]
            assert exact == pytest.approx(dr_triplet_loss(x, labels, gamma=gamma, tau=1e-3),
                                          rel=1e-5)


@pytest.mark.parametrize('slots', [0, -1, 2.5, '3'])
def test_invalid_slot_counts(slots):
    with pytest.raises(ValueError, match='positive_slots'):
        dr_triplet(positive_slots=slots)

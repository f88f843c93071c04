"""LoOp's losses (common/losses/loop_losses.py) against the independent float64 reference
(tests/references/loop_losses.py: d* by the spec's KKT enumeration, the losses by loops).

Values and gradients are compared on loss(normalise(raw)), as the spec's test plan asks:
the blocks take unit rows (the head normalises) and the reference's d* is defined on the
sphere, so only the tangential part of a gradient is comparable."""
import argparse
import math

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd
from mxnet.gluon import HybridBlock

from common.loss_options import LossOptions, documented_parameters
from common.losses import (
    LoOpHPHNTripletLoss,
    LoOpLiftedLoss,
    LoOpMultiSimilarityLoss,
    LoOpTripletLoss,
)
from common.losses.distances import l2_normalize
from common.losses.parameters import ParameterError
from loss_checks import (
    assert_finite,
    assert_matches_reference,
    degenerate_batches,
    make_block,
    run_block,
)
from references import loop_losses as ref
from references.gradcheck import numerical_gradient

LOSSES = {'hphn': (LoOpHPHNTripletLoss, ref.hphn_loss),
          'triplet': (LoOpTripletLoss, ref.triplet_loss),
          'lifted': (LoOpLiftedLoss, ref.lifted_loss),
          'ms': (LoOpMultiSimilarityLoss, ref.ms_loss)}
HINGES = ['hphn', 'triplet', 'lifted']


class Normalized(HybridBlock):
    """loss(normalise(x), labels)."""

    def __init__(self, loss, **kwargs):
        super().__init__(**kwargs)
        self.loss = loss

    def hybrid_forward(self, F, x, labels):
        return self.loss(l2_normalize(F, x), labels)


def normalized_reference(reference, **kw):
    return lambda z, y: reference(z / np.linalg.norm(z, axis=1, keepdims=True), y, **kw)


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# --- batches: B = classes x K rows, class-contiguous, rows (2k, 2k + 1) pair up ---------
def labels_of(classes, k):
    return np.repeat(np.arange(classes), k)


def random_batch(rng, classes, k, dim):
    return unit(rng.randn(classes * k, dim))


def clustered_batch(rng, classes, k, dim, spread=0.15):
    centres = rng.randn(classes, dim)
    return unit(np.repeat(centres, k, axis=0) + spread * rng.randn(classes * k, dim))


def duplicate_pairs_batch(rng, classes, k, dim):
    """Clustered, with every third pair a duplicated image (x1 == x2) and one image of
    another pair repeated in a third: the sampler's draws with replacement."""
    x = clustered_batch(rng, classes, k, dim, 0.3)
    for p in range(0, classes * k // 2, 3):
        x[2 * p + 1] = x[2 * p]
    x[5] = x[2]
    return x


def identical_batch(rng, classes, k, dim):
    return np.tile(unit(rng.randn(1, dim)), (classes * k, 1))


BATCHES = {'random': random_batch, 'clustered': clustered_batch,
           'duplicate pairs': duplicate_pairs_batch, 'identical': identical_batch}


def copies(x):
    """Groups of identical rows (as index arrays), for the rows that have copies."""
    _, group = np.unique(x, axis=0, return_inverse=True)
    return [np.flatnonzero(group == g) for g in np.unique(group)
            if (group == g).sum() > 1]


def check(name, x, labels, float32=True, **kw):
    """Values and gradients against the reference. Rows with exact copies tie (a max over
    two equal distances, a degenerate arc's two equal end points): there finite
    differences split the derivative between the copies while the block gives it to one,
    so such rows are compared by their sum over each group of copies (the derivative of
    moving all copies together, well defined)."""
    block, reference = LOSSES[name]
    factory, expected_fn = lambda: Normalized(block(**kw)), normalized_reference(reference, **kw)
    groups = copies(x)
    if not groups:
        assert_matches_reference(factory, expected_fn, x, labels, float32=float32)
        return
    expected = expected_fn(x, labels)
    expected_grad = numerical_gradient(lambda z: expected_fn(z, labels), x)
    for hybridize in (False, True):
        value, grad, _ = run_block(make_block(factory, hybridize), x, labels)
        np.testing.assert_allclose(value, expected, rtol=1e-6, atol=1e-9)
        alone = np.setdiff1d(np.arange(len(x)), np.concatenate(groups))
        np.testing.assert_allclose(grad[alone], expected_grad[alone], rtol=1e-4, atol=1e-6)
        for rows in groups:
            np.testing.assert_allclose(grad[rows].sum(axis=0), expected_grad[rows].sum(axis=0),
                                       rtol=1e-4, atol=1e-4)   # differences across a kink
    value32, _, _ = run_block(make_block(factory, True, 'float32'), x, labels, 'float32')
    np.testing.assert_allclose(value32, expected, rtol=1e-4, atol=1e-5)


# --- the reference's d* against brute force ------------------------------------------------
def slerp(e1, e2, t):
    angle = math.acos(np.clip(np.dot(e1, e2), -1, 1))
    return (np.sin((1 - t) * angle) * e1 + np.sin(t * angle) * e2) / np.sin(angle)


def brute_force(x1, x2, y1, y2, n=400, rounds=30):
    """Dense sampling of both arcs, then a shrinking local grid around the best pair."""
    def dist(s, t):
        return np.linalg.norm(slerp(x1, x2, s)[:, None] - slerp(y1, y2, t)[None], axis=-1)
    s = np.linspace(0, 1, n)[:, None]
    t = np.linspace(0, 1, n)[:, None]
    grid = dist(s, t)
    i, j = np.unravel_index(np.argmin(grid), grid.shape)
    best, cs, ct, width = grid[i, j], s[i, 0], t[j, 0], 2.0 / n
    for _ in range(rounds):
        ss = np.clip(np.linspace(cs - width, cs + width, 21), 0, 1)[:, None]
        tt = np.clip(np.linspace(ct - width, ct + width, 21), 0, 1)[:, None]
        local = dist(ss, tt)
        i, j = np.unravel_index(np.argmin(local), local.shape)
        best, cs, ct, width = min(best, local[i, j]), ss[i, 0], tt[j, 0], width / 3
    return best


@pytest.mark.parametrize('dim,clustered,seed', [(3, False, 0), (8, False, 1), (64, False, 2),
                                                (64, True, 3), (3, True, 4)])
def test_reference_arc_distance_matches_brute_force(dim, clustered, seed):
    rng = np.random.RandomState(seed)
    for _ in range(6):
        centre = rng.randn(dim)
        v = unit(centre * clustered + rng.randn(4, dim) * (0.2 if clustered else 1))
        d = ref.arc_distance(*v)
        assert abs(d - brute_force(*v)) <= 1e-6
        assert d <= ref.endpoint_distance(*v) + 1e-12


def test_reference_arc_distance_closed_forms():
    def on_sphere(lat, lon):
        lat, lon = math.radians(lat), math.radians(lon)
        return np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon),
                         math.sin(lat)])
    equator = on_sphere(0, 0), on_sphere(0, 90)
    meridian = on_sphere(10, 45), on_sphere(80, 45)
    assert ref.arc_distance(*equator, *meridian) == pytest.approx(2 * math.sin(math.radians(5)),
                                                                  abs=1e-12)
    crossing = on_sphere(-20, 45), on_sphere(30, 45)
    assert ref.arc_distance(*equator, *crossing) == pytest.approx(0, abs=1e-12)
    disjoint = on_sphere(0, 120), on_sphere(0, 150)   # the same great circle
    assert ref.arc_distance(*equator, *disjoint) == pytest.approx(
        2 * math.sin(math.radians(15)), abs=1e-12)
    point = on_sphere(30, 45)                          # a degenerate arc: point to arc
    assert ref.arc_distance(point, point, *equator) == pytest.approx(
        2 * math.sin(math.radians(15)), abs=1e-12)


# --- values and gradients at B = 32, K = 8 -------------------------------------------------
@pytest.mark.parametrize('batch', list(BATCHES))
@pytest.mark.parametrize('name', list(LOSSES))
def test_matches_reference(name, batch):
    rng = np.random.RandomState(sorted(BATCHES).index(batch))
    x = BATCHES[batch](rng, 4, 8, 8)
    check(name, x, labels_of(4, 8))


@pytest.mark.slow   # ~2 s each here
@pytest.mark.parametrize('batch', ['clustered', 'duplicate pairs'])
@pytest.mark.parametrize('name', list(LOSSES))
def test_matches_reference_keeping_degenerate_pairs(name, batch):
    rng = np.random.RandomState(7)
    x = BATCHES[batch](rng, 4, 8, 8)
    check(name, x, labels_of(4, 8), keep_degenerate=True)


@pytest.mark.slow   # ~2 s each here
@pytest.mark.parametrize('name,kw', [('hphn', dict(margin=0.3)), ('lifted', dict(margin=-1.0)),
                                     ('triplet', dict(margin=0.5)),
                                     ('ms', dict(alpha=2.0, beta=10.0, base=0.5, epsilon=0.1))])
def test_matches_reference_with_other_parameters(name, kw):
    rng = np.random.RandomState(11)
    check(name, clustered_batch(rng, 4, 8, 8, 0.4), labels_of(4, 8), **kw)


@pytest.mark.slow   # ~1 s each here
@pytest.mark.parametrize('name', list(LOSSES))
def test_matches_reference_with_two_per_class_and_odd_class_count(name):
    """K = 2 (MS: the pair's only positive is s(a, b)); 3 classes of 4 (the triplet's
    halves then share a class: those tuples are skipped); 5 pairs (the triplet leaves the
    middle one out)."""
    rng = np.random.RandomState(12)
    check(name, clustered_batch(rng, 6, 2, 8, 0.5), labels_of(6, 2))
    check(name, clustered_batch(rng, 3, 4, 8, 0.5), labels_of(3, 4))
    check(name, clustered_batch(rng, 5, 2, 8, 0.5), labels_of(5, 2))   # P odd: 2 tuples


@pytest.mark.slow
@pytest.mark.parametrize('keep', [False, True])
@pytest.mark.parametrize('name', list(LOSSES))
def test_matches_reference_with_an_odd_batch(name, keep):
    """An odd last row is a pair with itself: dropped, or kept as a point."""
    rng = np.random.RandomState(14)
    x, labels = clustered_batch(rng, 3, 4, 8, 0.5)[:11], labels_of(3, 4)[:11]
    x[10] = unit(x[10:11] + 0.3 * rng.randn(1, 8))[0]
    check(name, x, labels, keep_degenerate=keep)


@pytest.mark.slow
@pytest.mark.parametrize('name', list(LOSSES))
def test_matches_reference_in_64_dimensions(name):   # ~10 s each here
    rng = np.random.RandomState(13)
    check(name, clustered_batch(rng, 4, 8, 64, 0.1), labels_of(4, 8))


# --- properties ---------------------------------------------------------------------------
def block_value(block, x, labels, dtype='float64'):
    block.initialize()
    block.cast(dtype)
    return float(block(mx.nd.array(x, dtype=dtype), mx.nd.array(labels)).asscalar())


@pytest.mark.parametrize('batch', ['random', 'clustered', 'duplicate pairs'])
@pytest.mark.parametrize('name', HINGES)
def test_hinge_is_at_least_the_endpoint_only_loss(name, batch):
    block, reference = LOSSES[name]
    rng = np.random.RandomState(21)
    labels = labels_of(4, 8)
    for _ in range(3):
        x = BATCHES[batch](rng, 4, 8, 16)
        value = block_value(block(margin=2.0), x, labels)     # every hinge active
        endpoints = reference(x, labels, margin=2.0, pair_distance=ref.endpoint_distance)
        assert value >= endpoints - 1e-9
    if batch == 'random':   # long arcs, closer inside than at the ends: strictly larger
        assert value > endpoints + 1e-3


def test_d_star_reaches_the_loss_below_every_endpoint():
    """A pair whose arc passes between the end points of another: the HPHN negative is the
    arc distance, not the best end point (0 when the arcs cross)."""
    e = np.eye(3)
    x = unit(np.array([e[0] + 0.3 * e[2], e[1] + 0.3 * e[2],           # class 0: xy, up
                       e[0] + e[1] - 0.3 * e[2], e[0] + e[1] + 0.6 * e[2]]))  # crosses it
    labels = np.array([0, 0, 1, 1])
    value = block_value(LoOpHPHNTripletLoss(margin=0.0), x, labels)
    d_ap = np.linalg.norm(x[0] - x[1]) + np.linalg.norm(x[2] - x[3])   # d_an = 0 for both
    assert value == pytest.approx(d_ap, abs=1e-9)
    assert ref.hphn_loss(x, labels, margin=0.0) == pytest.approx(value, abs=1e-12)


def test_tied_nearest_arcs_do_not_double_the_gradient():
    """Pairs 4 and 5 (class 2) coincide and are the nearest arcs of class 0's anchors: a
    min or max that sent the gradient to every tied entry would double those anchors'
    gradients (finite differences count it once). The copies are compared by their sum."""
    rng = np.random.RandomState(5)
    centres = rng.randn(3, 8)
    centres[2] = centres[0] + 0.2 * rng.randn(8)
    x = unit(np.repeat(centres, 4, axis=0) + 0.3 * rng.randn(12, 8))
    x[10:12] = x[8:10]
    labels = labels_of(3, 4)
    for p in range(2):     # class 0's anchors: the nearest arc is the tied one
        d = [ref.arc_distance(x[2 * p], x[2 * p + 1], x[2 * q], x[2 * q + 1]) for q in (2, 3, 4)]
        assert min(d[:2]) > d[2]
    check('hphn', x, labels, margin=2.0)
    check('lifted', x, labels, margin=2.0)


@pytest.mark.parametrize('name', list(LOSSES))
def test_hybridized_equals_imperative_at_batch_128(name):
    rng = np.random.RandomState(3)
    x, labels = clustered_batch(rng, 4, 32, 64, 0.2).astype(np.float32), labels_of(4, 32)
    results = []
    for hybridize in (False, True):
        block = LOSSES[name][0]()
        block.initialize()
        if hybridize:
            block.hybridize(static_alloc=True, static_shape=True)
        results.append(run_block(block, x, labels, 'float32'))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5, atol=1e-6)


def test_degenerate_pairs_are_dropped_unless_kept():
    """All pairs duplicated: nothing is left by default (0, no 1000 sentinel, no |x1 - y1|
    fallback); kept as points, the terms are point-to-point distances."""
    rng = np.random.RandomState(4)
    x = np.repeat(unit(rng.randn(8, 8)), 2, axis=0)
    labels = labels_of(4, 4)
    for name, (block, reference) in LOSSES.items():
        assert block_value(block(), x, labels) == 0.0
        kept = block_value(block(keep_degenerate=True), x, labels)
        assert kept == pytest.approx(reference(x, labels, keep_degenerate=True), abs=1e-9)
        # HPHN and lifted: d* > 0; the triplet's positive distance is 0 (hinge at 0); MS
        # mines everything out (the positives are at similarity 1).
        assert kept > 0 or name in ('triplet', 'ms')


def degenerate_loop_batches(dim=8, seed=0):
    """Batches of 16 rows (4 classes x 4) that break careless arc code, in float32."""
    rng = np.random.RandomState(seed)
    labels = labels_of(4, 4)
    base = unit(rng.randn(16, dim))
    for angle in (1e-2, 1e-3, 1e-4, 1e-6, 0.0):    # every pair this short
        tangent = unit(rng.randn(16, dim) - base * 0)
        x = base.copy()
        for p in range(8):
            t = tangent[2 * p] - np.dot(tangent[2 * p], x[2 * p]) * x[2 * p]
            x[2 * p + 1] = np.cos(angle) * x[2 * p] + np.sin(angle) * unit(t[None])[0]
        yield 'pairs of %g rad' % angle, x, labels
    yield 'antipodal pairs', np.repeat(base[::2], 2, axis=0) * np.tile([1, -1], 8)[:, None], \
        labels
    yield 'all identical', np.tile(base[:1], (16, 1)), labels
    yield 'duplicates across classes', base[np.arange(16) % 3], labels
    yield 'a zero row', np.concatenate([np.zeros((1, dim)), base[1:]]), labels
    yield 'odd batch', base[:15], labels[:15]
    yield 'one class', base, np.zeros(16, dtype=int)
    yield 'mismatched pairs', base, np.arange(16) % 4


DEGENERATE = list(degenerate_batches()) + list(degenerate_loop_batches())


@pytest.mark.parametrize('keep', [False, pytest.param(True, marks=pytest.mark.slow)])
@pytest.mark.parametrize('name', list(LOSSES))
def test_finite_on_degenerate_batches(name, keep):
    for _, x, labels in DEGENERATE:
        assert_finite(lambda: LOSSES[name][0](keep_degenerate=keep), x, labels)


def test_parameters_are_documented_and_checked():
    for block in (LoOpHPHNTripletLoss, LoOpTripletLoss, LoOpLiftedLoss):
        assert set(documented_parameters(block)) == {'margin', 'keep_degenerate'}
    assert set(documented_parameters(LoOpMultiSimilarityLoss)) == {
        'alpha', 'beta', 'base', 'epsilon', 'keep_degenerate'}
    for bad in (dict(alpha=0.0), dict(beta=-1.0)):
        with pytest.raises(ParameterError, match=list(bad)[0]):
            LoOpMultiSimilarityLoss(**bad)
    options = LossOptions(LoOpMultiSimilarityLoss, ['alpha', 'epsilon', 'keep_degenerate'])
    parser = argparse.ArgumentParser()
    options.add_to(parser)
    # Named as multi-similarity's options everywhere (--ms-*).
    args = parser.parse_args(['--ms-epsilon', '0.1', '--keep-degenerate'])
    assert options.values(args) == dict(alpha=2.0, epsilon=0.1, keep_degenerate=True)


def test_ms_defaults_are_the_official_constants():
    loss = LoOpMultiSimilarityLoss()
    assert (loss.alpha, loss.beta, loss.base, loss.epsilon) == (2.0, 50.0, 0.4, -0.02)
    assert LoOpHPHNTripletLoss().margin == 1e-5


def test_gradient_reaches_both_arcs():
    rng = np.random.RandomState(8)
    x, labels = clustered_batch(rng, 2, 2, 8, 0.3), labels_of(2, 2)
    for name in LOSSES:
        # Every term active: the largest margin, the loosest mining.
        block = LOSSES[name][0](margin=2.0) if name in HINGES else LOSSES[name][0](epsilon=1.0)
        block.initialize()
        block.cast('float64')
        _, grad, _ = run_block(block, x, labels)
        assert (np.abs(grad).reshape(2, -1).sum(axis=1) > 0).all(), name   # per pair


def test_record_then_backward_sums_the_terms():
    """The loss is a scalar sum (backward of a 1-element array)."""
    rng = np.random.RandomState(9)
    x, labels = random_batch(rng, 4, 4, 8), labels_of(4, 4)
    block = LoOpHPHNTripletLoss(margin=0.5)
    block.initialize()
    xa = mx.nd.array(x)
    xa.attach_grad()
    with autograd.record():
        out = block(xa, mx.nd.array(labels))
    assert out.shape == (1,)
    out.backward()
    assert np.isfinite(xa.grad.asnumpy()).all()

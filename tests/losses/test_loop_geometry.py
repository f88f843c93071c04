"""LoOp's geometry (common/losses/loop.py) against brute force (references/loop_geometry.py),
closed forms, KKT conditions and finite differences (spec: research/loop.md, section 5)."""
import functools
import math

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon

from common.losses import loop
from loss_checks import degenerate_batches, unit_rows
from references.gradcheck import numerical_gradient
from references.loop_geometry import (
    arc_distance,
    arc_distances,
    arc_frame,
    arc_point,
    expansion_distance,
)

TOL = {'float64': 1e-6, 'float32': 1e-5}


def nd(v, dtype='float64'):
    return mx.nd.array(np.asarray(v), dtype=dtype)


def solve(tuples, dtype='float64'):
    """(dist, ArcSolution as numpy) of optimal_points on four (T, d) arrays."""
    args = [nd(v, dtype) for v in tuples]
    _, _, dist = loop.optimal_points(*args)
    sol = loop.tuple_solution(*args)
    return dist.asnumpy(), loop.ArcSolution(*[v.asnumpy() for v in sol])


def random_tuples(count, dim, seed):
    rng = np.random.RandomState(seed)
    return [unit_rows(rng, count, dim) for _ in range(4)]


def clustered_tuples(count, dim, seed, spread=0.5):
    """Four points per tuple around one random centre: short, nearby arcs (mostly case 9)."""
    rng = np.random.RandomState(seed)
    centres = unit_rows(rng, count, dim)
    rows = []
    for _ in range(4):
        x = centres + spread * rng.randn(count, dim) / math.sqrt(dim)
        rows.append(x / np.linalg.norm(x, axis=1, keepdims=True))
    return rows


INPUTS = {'random512': lambda: random_tuples(24, 512, 0),
          'clustered512': lambda: clustered_tuples(24, 512, 1),
          'random3': lambda: random_tuples(40, 3, 2)}


@functools.lru_cache(maxsize=None)
def with_reference(kind):
    tuples = INPUTS[kind]()
    return tuples, arc_distances(*tuples)


def sphere(lat, lon):
    lat, lon = math.radians(lat), math.radians(lon)
    return np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon),
                     math.sin(lat)])


def one(x1, x2, y1, y2, dtype='float64'):
    return float(solve([np.asarray(v)[None] for v in (x1, x2, y1, y2)], dtype)[0][0])


def frame_matrix(x1, x2, y1, y2):
    """The frames of both arcs and M = [[n1.m1, n1.m2], [n2.m1, n2.m2]], in numpy."""
    fx, fy = arc_frame(x1, x2), arc_frame(y1, y2)
    m = np.array([[np.dot(u, v) for v in fy[:2]] for u in fx[:2]])
    return fx, fy, m


# 1. Brute force

@pytest.mark.parametrize('dtype', ['float64', 'float32'])
@pytest.mark.parametrize('kind', sorted(INPUTS))
def test_matches_brute_force(kind, dtype):
    tuples, expected = with_reference(kind)
    dist, _ = solve(tuples, dtype)
    np.testing.assert_allclose(dist, expected, rtol=0, atol=TOL[dtype])


# 2. Closed forms on the 3-sphere

CLOSED_FORMS = {
    'equator vs meridian': ((0, 0), (0, 90), (10, 45), (80, 45), 2 * math.sin(math.radians(5))),
    'crossing': ((0, 0), (0, 90), (-30, 45), (40, 45), 0.0),
    'crossing, shallow': ((-1, 0), (1, 90), (1, 10), (-1, 80), 0.0),
    'shared endpoint': ((0, 0), (50, 30), (50, 30), (-20, 70), 0.0),
    'same circle, disjoint': ((0, 0), (0, 40), (0, 60), (0, 100), 2 * math.sin(math.radians(10))),
    'same circle, reversed': ((0, 40), (0, 0), (0, 100), (0, 60), 2 * math.sin(math.radians(10))),
    'same circle, overlapping': ((0, 0), (0, 60), (0, 40), (0, 100), 0.0),
    'same circle, contained': ((0, 0), (0, 90), (0, 20), (0, 50), 0.0),
}


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
@pytest.mark.parametrize('name', sorted(CLOSED_FORMS))
def test_closed_forms(name, dtype):
    *ends, expected = CLOSED_FORMS[name]
    points = [sphere(*e) for e in ends]
    assert abs(one(*points, dtype=dtype) - expected) <= TOL[dtype]
    assert abs(arc_distance(*points)[0] - expected) <= 1e-9  # the reference agrees


# 3. Symmetry and invariance

@pytest.mark.parametrize('kind', sorted(INPUTS))
def test_symmetry_and_orthogonal_invariance(kind):
    (x1, x2, y1, y2), _ = with_reference(kind)
    dist, _ = solve([x1, x2, y1, y2])
    rotation = np.linalg.qr(np.random.RandomState(3).randn(x1.shape[1], x1.shape[1]))[0]
    for variant in ([y1, y2, x1, x2], [x2, x1, y1, y2], [x1, x2, y2, y1], [y2, y1, x2, x1],
                    [v @ rotation for v in (x1, x2, y1, y2)]):
        np.testing.assert_allclose(solve(variant)[0], dist, rtol=0, atol=1e-9)


# 4. Bounds

@pytest.mark.parametrize('dtype', ['float64', 'float32'])
@pytest.mark.parametrize('kind', sorted(INPUTS))
def test_between_zero_and_nearest_endpoints(kind, dtype):
    tuples, _ = with_reference(kind)
    x1, x2, y1, y2 = tuples
    dist, _ = solve(tuples, dtype)
    ends = np.min([np.linalg.norm(a - b, axis=1) for a in (x1, x2) for b in (y1, y2)], axis=0)
    assert (dist >= 0).all()
    assert (dist <= ends + (1e-12 if dtype == 'float64' else 1e-6)).all()
    if kind == 'clustered512':  # the arcs matter: strictly below the endpoints, mostly
        assert np.mean(dist < ends - 1e-6) > 0.5


# 5. KKT cases and audit; 6. singular values

def kkt_groups():
    """Random 3-d tuples (cases 1-8 and crossings) and clustered 512-d ones (case 9)."""
    return [random_tuples(150, 3, 4), random_tuples(60, 512, 5), clustered_tuples(40, 512, 6)]


ACTIVE = {  # case: (alpha at 0, alpha at a0, beta at 0, beta at b0)
    1: (1, 0, 0, 0), 2: (0, 1, 0, 0), 3: (0, 0, 1, 0), 4: (0, 0, 0, 1),
    5: (1, 0, 1, 0), 6: (1, 0, 0, 1), 7: (0, 1, 1, 0), 8: (0, 1, 0, 1), 9: (0, 0, 0, 0)}


def test_kkt_every_case_and_audit():
    cases = set()
    for tuples in kkt_groups():
        dist, sol = solve(tuples)
        cases |= set(sol.case.astype(int))
        audit_kkt(tuples, dist, sol)
    assert cases == set(range(1, 10))


def audit_kkt(tuples, dist, sol, tol=1e-8):
    for k, rows in enumerate(zip(*tuples)):
        case, a, b = int(sol.case[k]), float(sol.alpha[k]), float(sol.beta[k])
        fx, fy, m = frame_matrix(*rows)
        assert abs(fx[2] - sol.alpha0[k]) < 1e-12 and abs(fy[2] - sol.beta0[k]) < 1e-12
        assert -tol <= a <= fx[2] + tol and -tol <= b <= fy[2] + tol
        at_a0, at_a1, at_b0, at_b1 = ACTIVE[case]
        for active, value, bound in ((at_a0, a, 0), (at_a1, a, sol.alpha0[k]), (at_b0, b, 0),
                                     (at_b1, b, sol.beta0[k])):
            if active:
                assert value == bound, (k, case)
        # g = c(a)^T M c(b) is maximised: its gradient points out of the box or vanishes
        ca, da = np.array([math.cos(a), math.sin(a)]), np.array([-math.sin(a), math.cos(a)])
        cb, db = np.array([math.cos(b), math.sin(b)]), np.array([-math.sin(b), math.cos(b)])
        ga, gb = da @ m @ cb, ca @ m @ db
        for g, low, high in ((ga, at_a0, at_a1), (gb, at_b0, at_b1)):
            if low:
                assert g <= tol, (k, case, g)    # multiplier -g >= -tol
            elif high:
                assert g >= -tol, (k, case, g)
            else:
                assert abs(g) <= tol, (k, case, g)
        # the fractions and the angles name the same points, and dist is their distance
        p, q = arc_point(fx, a), arc_point(fy, b)
        s, t = sol.s[k], sol.t[k]
        p_s = (1 - s) * rows[0] + s * rows[1]
        q_t = (1 - t) * rows[2] + t * rows[3]
        np.testing.assert_allclose(p_s / np.linalg.norm(p_s), p, atol=1e-9)
        np.testing.assert_allclose(q_t / np.linalg.norm(q_t), q, atol=1e-9)
        assert abs(np.linalg.norm(p - q) - dist[k]) < 1e-9
        if case == 9:
            sigma = np.linalg.svd(m, compute_uv=False)[0]
            assert abs(dist[k] - math.sqrt(max(2 - 2 * sigma, 0))) < 1e-7


# 7. Degenerate and nearly degenerate arcs

def arc_of_angle(rng, dim, angle):
    """(e1, e2) unit vectors at the given angle (pi: antipodal)."""
    e1, u = unit_rows(rng, 2, dim)
    u = u - np.dot(u, e1) * e1
    u /= np.linalg.norm(u)
    return e1, math.cos(angle) * e1 + math.sin(angle) * u


def finite_backward(tuples, dtype):
    """optimal_points' outputs and the gradients of a loss on all of them, as numpy."""
    args = [nd(v, dtype) for v in tuples]
    for a in args:
        a.attach_grad()
    weights = np.random.RandomState(7).randn(*tuples[0].shape)
    with autograd.record():
        p, q, dist = loop.optimal_points(*args)
        loss = dist.sum() + (p * nd(weights, dtype)).sum() - (q * nd(weights, dtype)).sum()
    loss.backward()
    out = [v.asnumpy() for v in (p, q, dist)] + [a.grad.asnumpy() for a in args]
    for v in out:
        assert np.isfinite(v).all()
    return out


SHORT = [1e-2, 1e-3, 1e-4, 1e-6, 0.0]


def short_arc_tuples(near, which, dtype, dim=16, seed=8):
    """Four tuples per gap in SHORT: the arc(s) ``which`` of angle gap (``near`` equal) or
    pi - gap (antipodal), the others random; rounded to ``dtype``."""
    rng = np.random.RandomState(seed)
    rows = [[], [], [], []]
    for gap in SHORT:
        angle = gap if near == 'equal' else math.pi - gap
        for _ in range(4):
            short = arc_of_angle(rng, dim, angle)
            other = arc_of_angle(rng, dim, angle) if which == 'both' else tuple(
                unit_rows(rng, 2, dim))
            ends = short + other if which != 'y' else other + short
            for r, v in zip(rows, ends):
                r.append(v)
    return [np.asarray(nd(np.array(r), dtype).asnumpy(), np.float64) for r in rows]


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
@pytest.mark.parametrize('which', ['x', 'y', 'both'])
@pytest.mark.parametrize('near', ['equal', 'antipodal'])
def test_short_and_antipodal_arcs(near, which, dtype):
    tuples = short_arc_tuples(near, which, dtype)
    _, _, dist, *_ = finite_backward(tuples, dtype)
    x1, x2, y1, y2 = tuples
    ends = np.min([np.linalg.norm(a - b, axis=1) for a in (x1, x2) for b in (y1, y2)], axis=0)
    assert (dist <= ends + TOL[dtype]).all()
    gaps = np.repeat(SHORT, 4)
    defined = (gaps > 0) if near == 'antipodal' else (gaps >= 0)  # no minor arc at pi
    expected = arc_distances(*[v[defined] for v in tuples])
    dist = dist[defined]
    assert (dist >= expected - TOL[dtype]).all()
    if near == 'equal':
        # an arc of length L taken as its ends is off by at most L / 2
        slack = gaps[defined] * (1 if which == 'both' else 0.5)
        assert (dist <= expected + slack + TOL[dtype]).all()
    else:  # only the 1e-2 gap is a proper (minor) arc
        np.testing.assert_allclose(dist[:4], expected[:4], atol=TOL[dtype], rtol=0)


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
def test_point_to_arc(dtype):
    """x1 == x2 (exactly) is the point-to-arc distance, either way round and both."""
    rng = np.random.RandomState(9)
    x1, y1, y2 = (unit_rows(rng, 20, 16) for _ in range(3))
    for tuples in ([x1, x1, y1, y2], [y1, y2, x1, x1], [x1, x1, y1, y1]):
        tuples = [np.asarray(nd(v, dtype).asnumpy(), np.float64) for v in tuples]
        dist = finite_backward(tuples, dtype)[2]
        np.testing.assert_allclose(dist, arc_distances(*tuples), atol=TOL[dtype], rtol=0)


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
@pytest.mark.parametrize('tilt', [1e-3, 1e-6, 1e-9, 0.0])
def test_nearly_parallel_arcs(tilt, dtype):
    """Arcs on (nearly) one great circle, disjoint, overlapping or identical: M is nearly a
    rotation, so the top singular pair is ill-defined; the result must not be."""
    rng = np.random.RandomState(10)
    rows = [[], [], [], []]
    for lo, hi, lo2, hi2 in ((0, 40, 60, 100), (0, 60, 40, 100), (0, 90, 20, 50),
                             (0, 50, 0, 50), (0, 50, 50, 0), (10, 80, 80, 10)):
        basis = np.linalg.qr(rng.randn(8, 3))[0].T
        for r, (lat, lon) in zip(rows, ((0, lo), (0, hi), (tilt, lo2), (-tilt, hi2))):
            r.append(sphere(math.degrees(lat), lon) @ basis)
    tuples = [np.asarray(nd(np.array(r), dtype).asnumpy(), np.float64) for r in rows]
    dist = finite_backward(tuples, dtype)[2]
    expected = arc_distances(*tuples)
    if dtype == 'float64':
        np.testing.assert_allclose(dist, expected, atol=TOL[dtype], rtol=0)
    else:
        # float32 ranks the candidates by x.y = 1 - d^2 / 2, blind to d^2 below ~1e-7 (see
        # loop.py); the points are feasible, so the error is one-sided
        assert (dist >= expected - TOL[dtype]).all()
        assert (dist <= np.sqrt(expected ** 2 + 1e-6) + TOL[dtype]).all()


def awkward_batch(dim=8, seed=11):
    """Pairs at angles SHORT and pi - SHORT, and pairs on (nearly) one great circle, apart,
    overlapping and identical; a pair of its own class each."""
    rng = np.random.RandomState(seed)
    rows = [v for gap in SHORT for angle in (gap, math.pi - gap)
            for v in arc_of_angle(rng, dim, angle)]
    basis = np.linalg.qr(rng.randn(dim, 3))[0].T
    for tilt, lo, hi in ((0, 0, 40), (0, 60, 100), (1e-7, 20, 50), (-1e-7, 20, 50),
                         (1e-9, 0, 40), (0, 0, 40)):
        rows += [sphere(tilt, lo) @ basis, sphere(-tilt, hi) @ basis]
    return np.array(rows), np.repeat(np.arange(len(rows) // 2), 2)


def pair_arcs_backward(x, labels, dtype, hybridize=False):
    block = PairArcsBlock()
    if hybridize:
        block.hybridize()
    xa = nd(x, dtype)
    xa.attach_grad()
    with autograd.record():
        dist, negative = block(xa, nd(labels, 'int32'))
        loss = dist.sum() + (dist * negative).sum()
    loss.backward()
    return dist.asnumpy(), xa.grad.asnumpy()


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()) + [
    ('awkward pairs', *awkward_batch())])
def test_pair_arcs_finite(name, x, labels, dtype):
    for hybridize in (False, True):
        dist, grad = pair_arcs_backward(x, labels, dtype, hybridize)
        assert np.isfinite(dist).all() and np.isfinite(grad).all(), name


# 8. Gradients

def normalized(raw):
    return raw / np.linalg.norm(raw, axis=1, keepdims=True)


def autograd_of(raw, build):
    """(value, gradient) of build(x1, x2, y1, y2) for the rows of normalise(raw) (4, d)."""
    r = nd(raw)
    r.attach_grad()
    with autograd.record():
        x = mx.nd.broadcast_div(r, mx.nd.norm(r, axis=1, keepdims=True))
        value = build(*[x[i:i + 1] for i in range(4)]).sum()
    value.backward()
    return float(value.asscalar()), r.grad.asnumpy()


@functools.lru_cache(maxsize=None)
def raw_tuples_by_case(cases, dim=4, seed=13):
    """One raw (4, dim) tuple for each KKT case asked for (random, then clustered)."""
    rng = np.random.RandomState(seed)
    found = {}
    for attempt in range(2000):
        spread = 3.0 if attempt % 2 else 0.4
        raw = rng.randn(1, dim) + spread * rng.randn(4, dim)
        case = int(solve([normalized(raw)[i:i + 1] for i in range(4)])[1].case[0])
        if case in cases and case not in found:
            found[case] = raw
        if len(found) == len(cases):
            return found
    raise AssertionError('cases %s not found' % (set(cases) - set(found)))


def reference_distance(raw):
    return arc_distance(*normalized(raw), grid=33)[0]


SLOW = pytest.mark.slow  # ~0.8 s each: finite differences of the brute force


@pytest.mark.parametrize('case', [pytest.param(c, marks=SLOW) if c not in (2, 6, 9) else c
                                  for c in range(1, 10)])
def test_gradient_matches_finite_differences(case):
    raw = raw_tuples_by_case(tuple(range(1, 10)))[case]
    value, grad = autograd_of(raw, lambda *v: loop.optimal_points(*v)[2])
    assert abs(value - reference_distance(raw)) < 1e-9
    expected = numerical_gradient(reference_distance, raw)
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize('case', [8] + [pytest.param(c, marks=SLOW) for c in (2, 4, 7)])
def test_frozen_angle_needs_the_endpoints(case):
    """Spec 2.6: rebuilding x(alpha*) = cos a* n1 + sin a* n2 with a* held fixed is right in
    value but wrong in gradient when a far end (a0 or b0, which move) is active."""
    raw = raw_tuples_by_case((2, 4, 7, 8))[case]
    sol = solve([normalized(raw)[i:i + 1] for i in range(4)])[1]
    alpha, beta = float(sol.alpha[0]), float(sol.beta[0])

    def at_angle(e1, e2, angle):
        c = mx.nd.sum(e1 * e2, axis=1, keepdims=True)
        ortho = e2 - mx.nd.broadcast_mul(c, e1)
        n2 = mx.nd.broadcast_div(ortho, mx.nd.norm(ortho, axis=1, keepdims=True))
        return math.cos(angle) * e1 + math.sin(angle) * n2

    def frozen_angle(x1, x2, y1, y2):
        return mx.nd.norm(at_angle(x1, x2, alpha) - at_angle(y1, y2, beta), axis=1)
    value, grad = autograd_of(raw, frozen_angle)
    assert abs(value - reference_distance(raw)) < 1e-9
    expected = numerical_gradient(reference_distance, raw)
    assert np.abs(grad - expected).max() > 0.05 * np.abs(expected).max()


# 9. Hybridized

class OptimalPoints(gluon.HybridBlock):
    def hybrid_forward(self, F, x1, x2, y1, y2):
        return loop.optimal_points(x1, x2, y1, y2)


class PairArcsBlock(gluon.HybridBlock):
    def hybrid_forward(self, F, x, labels):
        arcs = loop.pair_arcs(F, x, labels)
        return arcs.dist, arcs.negative


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
def test_hybridized_equals_imperative(dtype):
    tuples, _ = with_reference('random3')
    args = [nd(v, dtype) for v in tuples]
    block = OptimalPoints()
    imperative = [v.asnumpy() for v in block(*args)]
    block.hybridize()
    hybrid = [v.asnumpy() for v in block(*args)]
    for a, b in zip(imperative, hybrid):
        np.testing.assert_allclose(a, b, atol=1e-12 if dtype == 'float64' else 1e-6, rtol=0)
    x, labels = random_batch(13, 16, 14)
    imperative = pair_arcs_backward(x, labels, dtype)
    hybrid = pair_arcs_backward(x, labels, dtype, hybridize=True)
    for a, b in zip(imperative, hybrid):
        np.testing.assert_allclose(a, b, atol=1e-12 if dtype == 'float64' else 1e-5, rtol=0)


# pair_arcs against optimal_points and explicit loops

def random_batch(size, dim, seed):
    rng = np.random.RandomState(seed)
    return unit_rows(rng, size, dim), rng.randint(0, 3, size)


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
@pytest.mark.parametrize('batch', ['random 12x16', 'random 13x3', 'clustered 12x64',
                                   'awkward'])
def test_pair_arcs_equals_optimal_points(batch, dtype):
    if batch == 'awkward':
        x, labels = awkward_batch()
        labels = labels % 3
    else:
        kind, shape = batch.split()
        size, dim = map(int, shape.split('x'))
        x, labels = random_batch(size, dim, 15)
        if kind == 'clustered':
            x = normalized(x[:1] + 0.4 * x)
    size = len(x)
    xa = nd(x, dtype)
    xa.attach_grad()
    with autograd.record():
        arcs = loop.pair_arcs(mx.nd, xa, nd(labels, 'int32'))
        loss = arcs.dist.sum()
    loss.backward()
    batch_grad = xa.grad.asnumpy()
    pairs = (size + 1) // 2
    first = np.arange(0, size, 2)
    second = np.minimum(first + 1, size - 1)
    np.testing.assert_array_equal(arcs.first.asnumpy(), first)
    np.testing.assert_array_equal(arcs.second.asnumpy(), second)
    np.testing.assert_array_equal(arcs.labels.asnumpy(), labels[first])
    valid = (labels[first] == labels[second]).astype(float)
    np.testing.assert_array_equal(arcs.valid.asnumpy(), valid)
    negative = np.array([[valid[i] * valid[j] * (labels[first[i]] != labels[first[j]])
                          for j in range(pairs)] for i in range(pairs)])
    np.testing.assert_array_equal(arcs.negative.asnumpy(), negative)
    # the same P x P tuples through optimal_points, gradients gathered back to the rows
    mine, theirs = np.meshgrid(np.arange(pairs), np.arange(pairs), indexing='ij')
    mine, theirs = mine.ravel(), theirs.ravel()
    ends = (first[mine], second[mine], first[theirs], second[theirs])
    xb = nd(x, dtype)
    xb.attach_grad()
    with autograd.record():
        _, _, dist = loop.optimal_points(*[mx.nd.take(xb, nd(rows, 'int32')) for rows in ends])
        total = dist.sum()
    total.backward()
    tol = 1e-10 if dtype == 'float64' else 1e-5
    if batch == 'awkward' and dtype == 'float32':
        tol = 5e-5  # arcs near a half circle: either form loses ~2e-5 in float32
    off = mine != theirs  # an arc with itself: exactly 0 in pair_arcs
    got, want = arcs.dist.asnumpy().ravel()[off], dist.asnumpy()[off]
    if dtype == 'float32':  # below ~1e-3 float32 resolves only d^2 ~ 1e-7 (loop.py)
        tol = np.where(np.minimum(got, want) < 1e-3, 1e-3, tol)
    bad = np.abs(got - want) > tol
    assert not bad.any(), (got[bad], want[bad])
    assert np.all(arcs.dist.asnumpy().ravel()[~off] == 0)
    if dtype == 'float64':
        with autograd.record():
            _, _, dist = loop.optimal_points(*[mx.nd.take(xb, nd(rows[off], 'int32'))
                                               for rows in ends])
            total = dist.sum()
        total.backward()
        np.testing.assert_allclose(batch_grad, xb.grad.asnumpy(), atol=1e-9, rtol=0)


# 10. Embedding Expansion's discretisation converges to d*

@pytest.mark.parametrize('kind', ['random512', 'clustered512'])
def test_expansion_converges_to_arc_distance(kind):
    tuples, expected = with_reference(kind)
    for rows, d_star in list(zip(zip(*tuples), expected))[:6]:
        # n + 1 = 1, 2, 4, ..., 128 segments: nested point sets, so non-increasing
        values = [expansion_distance(*rows, n) for n in (0, 1, 3, 7, 15, 31, 63, 127)]
        assert all(b <= a + 1e-12 for a, b in zip(values, values[1:])), values
        assert values[-1] >= d_star - 1e-9
        assert expansion_distance(*rows, 128) - d_star <= 1e-4

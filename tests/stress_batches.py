"""Random and degenerate batches for every loss configuration, and the finiteness check.

Shared by tests/losses/test_loss_stress.py (a few hundred batches per configuration) and
bench/stress_losses.py (thousands). A configuration is a training script with options:
its loss comes from the script's own ``build_loss`` (so the defaults users run are what is
stressed), hybridized as in training, with labels laid out as the script's sampler lays
them out. Batch ``i`` of seed ``s`` depends on (configuration, s, i) only: its generator is
``GENERATORS[i % len(GENERATORS)]`` and numpy (and MXNet, for blocks that draw from it)
are seeded from (s, i), so one batch can be replayed alone. Blocks with a matrix parameter
(proxies) get it from the same generator, so that degenerate proxies are stressed too.
"""
import json
import time
from types import SimpleNamespace
from typing import NamedTuple

# isort: off
import common  # noqa: F401  (first: it sets up threads before MXNet loads)
import mxnet as mx
import numpy as np
from mxnet import autograd
# isort: on

CLASSES = 50          # training classes of the fake split (proxies, margin's beta, C-d heads)
MAX_BATCH = 40        # largest shuffled batch; P x K batches have up to MAX_P classes
MAX_P = 8

# (name, script, options, layout). Layouts, as the scripts' samplers produce them:
# 'shuffled': any labels; 'pk': class-contiguous blocks of at most K (--batch-k) images
# (small classes and the last block are shorter); 'pk-full': blocks of exactly K, whose
# consecutive rows pair up (Embedding Expansion); 'pairs': [anchors; positives] of distinct
# classes; 'episode': --nc classes x (--ns supports, then --nq queries).
CONFIGS = [
    ('triplet semi-hard', 'train_triplet_semihard', (), 'shuffled'),
    ('margin + distance-weighted sampling', 'train_margin', (), 'pk'),
    ('proxy-triplet', 'train_proxy', (), 'shuffled'),
    ('ProxyNCA', 'train_proxy', ('--loss', 'nca'), 'shuffled'),
    ('ProxyNCA, label smoothing', 'train_proxy', ('--loss', 'nca', '--label-smooth', '0.1'),
     'shuffled'),
    ('proxy cross-entropy', 'train_proxy', ('--loss', 'xentropy'), 'shuffled'),
    ('NormSoftmax', 'train_normproxy', (), 'shuffled'),
    ('NormSoftmax, static proxies', 'train_normproxy', ('--static-proxies',), 'shuffled'),
    ('DREML member (ProxyNCA)', 'train_dreml', (), 'shuffled'),
    ('DREML member (softmax, static proxies)', 'train_dreml', ('--static-proxies',), 'shuffled'),
    ('discriminative', 'train_discriminative', (), 'shuffled'),
    ('angular (N-pair form)', 'train_angular', (), 'pairs'),
    ('angular, symmetric', 'train_angular', ('--symmetric-loss',), 'pairs'),
    ('N-pair + angular', 'train_angular', ('--angular-lambda', '2'), 'pairs'),
    ('N-pair', 'train_npairs', (), 'pairs'),
    ('N-pair, symmetric', 'train_npairs', ('--symmetric-loss',), 'pairs'),
    ('prototypical', 'train_prototype', (), 'episode'),
    ('prototypical, 2-way 1-shot', 'train_prototype', ('--nc', '2', '--ns', '1', '--nq', '1'),
     'episode'),
    ('lifted structured (smooth)', 'train_liftedstruct', (), 'shuffled'),
    ('lifted structured (hard)', 'train_liftedstruct', ('--lifted-form', 'hard'), 'shuffled'),
    ('lifted structured (Deep_Metric)', 'train_liftedstruct', ('--lifted-form', 'deep-metric'),
     'shuffled'),
    ('lifted structured (generalized)', 'train_liftedstruct', ('--lifted-form', 'generalized'),
     'shuffled'),
    ('facility location', 'train_clusterloss', (), 'shuffled'),
    ('stochastic symmetric triplet', 'train_sst', (), 'shuffled'),
    ('contrastive', 'train_contrastive', (), 'pk'),
    ('binomial deviance', 'train_binomial', (), 'pk'),
    ('NCA', 'train_nca', (), 'pk'),
    ('multi-similarity', 'train_multisimilarity', (), 'pk'),
    ('multi-similarity, official constants', 'train_multisimilarity', ('--ms-official',), 'pk'),
    ('ranked list', 'train_rankedlistloss', (), 'pk'),
    ('ranked list, detached weights', 'train_rankedlistloss', ('--detach-weights',), 'pk'),
    ('HPHN + Embedding Expansion', 'train_hphn_ee', (), 'pk-full'),
    ('HPHN (no expansion)', 'train_hphn_ee', ('--n-inner-pts', '0'), 'pk-full'),
    ('HPHN + EE, soft margin', 'train_hphn_ee', ('--soft-margin',), 'pk-full'),
    ('DR triplet', 'train_dr', (), 'pk'),
    ('DR triplet, theta, sign -1', 'train_dr', ('--dr-angle', 'theta', '--dr-sign', '-1'), 'pk'),
    ('DR ProxyNCA', 'train_dr', ('--loss', 'proxynca'), 'pk'),
    ('DR multi-similarity', 'train_dr', ('--loss', 'ms'), 'pk'),
    ('DR multi-similarity, theta', 'train_dr', ('--loss', 'ms', '--dr-angle', 'theta'), 'pk'),
]


class Block(NamedTuple):
    """A loss without a training script yet, in place of a script name in CONFIGS: the
    class ``loss`` of common.losses built with ``kwargs``, K = ``k``, ``dim``-d embeddings,
    hybridized with static alloc and shape as the training loop does."""
    loss: str
    kwargs: tuple = ()
    k: int = 8
    dim: int = 64


# LoOp (until train_loop.py): 'pk-full' is its sampler's layout (pairs (2k, 2k + 1) of one
# class); 'pk' adds short blocks, odd batches and pairs across two classes.
CONFIGS += [
    ('LoOp HPHN-triplet', Block('LoOpHPHNTripletLoss'), (), 'pk-full'),
    ('LoOp triplet', Block('LoOpTripletLoss'), (), 'pk-full'),
    ('LoOp lifted', Block('LoOpLiftedLoss'), (), 'pk-full'),
    ('LoOp multi-similarity', Block('LoOpMultiSimilarityLoss'), (), 'pk-full'),
    ('LoOp HPHN, uneven blocks, degenerate kept',
     Block('LoOpHPHNTripletLoss', (('keep_degenerate', True),), k=4), (), 'pk'),
    ('LoOp MS, uneven blocks, degenerate kept',
     Block('LoOpMultiSimilarityLoss', (('keep_degenerate', True),), k=4), (), 'pk'),
]


# --- embeddings: (rng, labels, dim) -> (n, dim) float64 ---------------------------------
def unit_rows(rng, n, dim):
    x = rng.randn(n, dim)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def gaussian(rng, labels, dim):
    return rng.randn(len(labels), dim) * 10 ** rng.uniform(-2, 1)


def unit(rng, labels, dim):
    return unit_rows(rng, len(labels), dim)


def duplicates_within(rng, labels, dim):
    """Every row of a class is the same point."""
    _, cls = np.unique(labels, return_inverse=True)
    return unit_rows(rng, cls.max() + 1, dim)[cls]


def duplicates_across(rng, labels, dim):
    """Rows drawn from a small pool of points: exact duplicates across (and within) classes."""
    pool = unit_rows(rng, rng.randint(1, max(2, len(labels) // 2) + 1), dim)
    return pool[rng.randint(len(pool), size=len(labels))]


def collapse(rng, labels, dim):
    point = rng.randn(1, dim) * 10 ** rng.uniform(-2, 2)
    return np.repeat(point, len(labels), axis=0)


def zeros(rng, labels, dim):
    """All rows zero, or a random share of them (at least one)."""
    x = unit_rows(rng, len(labels), dim)
    x[rng.rand(len(labels)) < (1.0 if rng.rand() < 0.5 else 0.5)] = 0
    x[rng.randint(len(labels))] = 0
    return x


def huge(rng, labels, dim):
    return unit_rows(rng, len(labels), dim) * 10 ** rng.uniform(4, 6, (len(labels), 1))


def tiny(rng, labels, dim):
    return unit_rows(rng, len(labels), dim) * 10 ** rng.uniform(-10, -6, (len(labels), 1))


def mixed_norms(rng, labels, dim):
    return unit_rows(rng, len(labels), dim) * 10 ** rng.uniform(-10, 6, (len(labels), 1))


def jitter(rng, labels, dim):
    """One point plus 1e-7 noise: distances at float32 rounding level."""
    return unit_rows(rng, 1, dim) + 1e-7 * rng.randn(len(labels), dim)


def antipodal(rng, labels, dim):
    """+-v for a few directions v, within and across classes."""
    pool = unit_rows(rng, rng.randint(1, 4), dim)
    signs = rng.choice([-1.0, 1.0], size=(len(labels), 1))
    return signs * pool[rng.randint(len(pool), size=len(labels))]


# (name, embeddings, labels with single-sample classes mixed with pairs)
GENERATORS = [
    ('gaussian', gaussian, False), ('unit', unit, False),
    ('duplicates within classes', duplicates_within, False),
    ('duplicates across classes', duplicates_across, False),
    ('collapse', collapse, False), ('zero rows', zeros, False),
    ('singletons and pairs', unit, True), ('huge norms', huge, False),
    ('tiny norms', tiny, False), ('mixed norms', mixed_norms, False),
    ('1e-7 jitter', jitter, False), ('antipodal', antipodal, False),
]


# --- labels ------------------------------------------------------------------------------
def layout_labels(rng, kind, k, classes, singletons):
    """Labels of one batch in layout ``kind`` (``k``: K of P x K, (nc, ns, nq) of episodes)
    over classes 0..classes-1. ``singletons`` asks for single-sample classes mixed with
    pairs, where the layout allows them (shuffled, pk)."""
    if kind == 'shuffled':
        if singletons:
            total = rng.randint(2, min(classes, 24) + 1)
            ids = rng.permutation(classes)[:total]
            single = rng.randint(1, total)
            return rng.permutation(np.concatenate([ids[:single], np.repeat(ids[single:], 2)]))
        n = rng.randint(2, MAX_BATCH + 1)
        pool = rng.permutation(classes)[:rng.randint(1, min(n, classes) + 1)]
        return pool[rng.randint(len(pool), size=n)]
    if kind == 'pk':
        if singletons:
            ids = rng.permutation(classes)[:rng.randint(2, MAX_P + 1)]
            counts = rng.randint(1, 3, len(ids))
            counts[:2] = 1, 2
        else:   # mostly full blocks of K, some shorter
            ids = rng.permutation(classes)[:rng.randint(1, MAX_P + 1)]
            counts = np.minimum(k, rng.randint(1, 2 * k, len(ids)))
        return np.repeat(ids, counts)
    if kind == 'pk-full':
        return np.repeat(rng.permutation(classes)[:rng.randint(1, 5)], k)
    if kind == 'pairs':
        ids = rng.permutation(classes)[:rng.randint(1, MAX_BATCH // 2 + 1)]
        return np.concatenate([ids, ids])
    if kind == 'episode':
        nc, ns, nq = k
        ids = rng.permutation(classes)[:nc]
        return np.concatenate([np.repeat(ids, ns), np.repeat(ids, nq)])
    raise ValueError(kind)


# --- configurations ----------------------------------------------------------------------
def load_script(name):
    """The Recipe defined by ROOT/<name>.py, instantiated."""
    from common.training.recipe import load_recipe
    return load_recipe(name)


class FakeSplit:
    """What build_loss reads of a training split: its class count and size."""

    def __init__(self, num_classes, size=5000):
        self.num_classes, self.size = num_classes, size

    def __len__(self):
        return self.size


class Case(NamedTuple):
    """A block to stress and what its batches look like."""
    name: str
    block: object
    layout: str
    k: object       # K of a P x K layout, (nc, ns, nq) of an episode
    dim: int        # embedding dimension
    classes: int    # labels are in 0..classes-1
    random: bool = False   # draws from MXNet's generator: reseeded for every batch


def uses_random(block):
    """Whether the block's graph has random ops (margin's negative sampler)."""
    graph = json.loads(block(mx.sym.var('x'), mx.sym.var('labels')).tojson())
    return any('random' in node['op'] or '_sample' in node['op'] for node in graph['nodes'])


def build_block_case(name, spec, kind):
    """The Case of a CONFIGS entry naming a :class:`Block` instead of a script."""
    import common.losses
    block = getattr(common.losses, spec.loss)(**dict(spec.kwargs))
    block.initialize()
    block.hybridize(static_alloc=True, static_shape=True)
    return Case(name, block, kind, spec.k, spec.dim, CLASSES, uses_random(block))


def build_case(config):
    """The Case of a CONFIGS entry: its script's loss, initialised and hybridized."""
    name, script_name, options, kind = config
    if isinstance(script_name, Block):
        return build_block_case(name, script_name, kind)
    script = load_script(script_name)
    args = script.parse_args(list(options))
    classes, dim = CLASSES, args.embed_dim
    if script_name == 'train_dreml':            # one member: meta-class labels and head
        classes = dim = args.meta_classes
    elif script_name == 'train_discriminative':  # one embedding dimension per class
        dim = CLASSES
    block = script.build_loss(args, SimpleNamespace(train=FakeSplit(CLASSES)))
    block.initialize()
    if not args.disable_hybridize:
        block.hybridize(static_alloc=True, static_shape=True)   # as the training loop
    k = (args.nc, args.ns, args.nq) if kind == 'episode' else getattr(args, 'batch_k', None)
    return Case(name, block, kind, k, dim, classes, uses_random(block))


def make_batch(case, seed, index):
    """(generator name, embeddings, labels, {parameter: value}) of batch ``index``."""
    name, generate, singletons = GENERATORS[index % len(GENERATORS)]
    rng = np.random.RandomState([seed, index])
    labels = layout_labels(rng, case.layout, case.k, case.classes, singletons)
    x = generate(rng, labels, case.dim).astype(np.float32)
    params = {p: generate(rng, np.arange(p.shape[0]), p.shape[1]).astype(np.float32)
              for p in case.block.collect_params().values()
              if p.grad_req != 'null' and len(p.shape) == 2}
    return name, x, labels.astype(np.int32), params


def check_batch(block, x, labels):
    """(loss finite, gradients finite): one forward + backward, gradients w.r.t. the
    embeddings and every trainable parameter of the block."""
    xa = mx.nd.array(x, dtype='float32')
    xa.attach_grad()
    with autograd.record():
        out = block(xa, mx.nd.array(labels, dtype='int32'))
    out.backward()
    grads = [xa.grad] + [p.grad() for p in block.collect_params().values()
                         if p.grad_req != 'null']
    return (bool(np.isfinite(out.asnumpy()).all()),
            all(bool(np.isfinite(g.asnumpy()).all()) for g in grads))


def stress(case, batches, seed, first=0):
    """Run batches first .. first + batches - 1; counts per generator and the first failure."""
    counts = {name: [0, 0, 0] for name, _, _ in GENERATORS}   # batches, bad loss, bad grad
    failure, start = None, time.perf_counter()
    for index in range(first, first + batches):
        name, x, labels, params = make_batch(case, seed, index)
        for param, value in params.items():
            param.set_data(mx.nd.array(value))
        if case.random:   # only then: reseeding waits for MXNet's engine (~1 ms)
            mx.random.seed(seed * 1000003 + index)
        try:
            loss_ok, grad_ok = check_batch(case.block, x, labels)
        except Exception as error:
            raise RuntimeError('%s: %s' % (case.name, reproducer(case.name, name, seed, index))
                               ) from error
        row = counts[name]
        row[0] += 1
        row[1] += not loss_ok
        row[2] += not grad_ok
        if failure is None and not (loss_ok and grad_ok):
            failure = (name, index)
    return SimpleNamespace(name=case.name, counts=counts, failure=failure, seed=seed,
                           seconds=time.perf_counter() - start,
                           batches=batches, bad_loss=sum(r[1] for r in counts.values()),
                           bad_grad=sum(r[2] for r in counts.values()))


def reproducer(config_name, generator, seed, index):
    return ("generator '%s', seed %d, batch %d: python bench/stress_losses.py --only '%s' "
            '--seed %d --first %d --batches 1' % (generator, seed, index, config_name, seed,
                                                  index))


def describe_failure(result):
    generator, index = result.failure
    return '%s: non-finite at %s' % (result.name,
                                     reproducer(result.name, generator, result.seed, index))

"""Cost of every loss block (with its mining) relative to one training step.

Each loss is built by its training script's own ``build_loss`` from the
script's default options (``--embed-dim`` set to 512), fed random embeddings
with labels laid out as that script's sampler lays them out (shuffled, P x K,
N pairs, episodes, neighbourhood clusters), hybridized as in training, and
timed forward + backward (``autograd.record``, ``backward``, ``mx.nd.waitall``).
The reference is one training step of Inception-BN at 224 px: a batch-32 step
measured by ``bench/bench_training_step.py`` (or locally when that file is
missing) and scaled linearly to the loss's batch size, since a 224-px batch of
512 does not fit comfortably in memory. The target is <= 3 % of that step.

    OMP_NUM_THREADS=2 python bench/bench_losses.py                  # batches 128 and 512
    OMP_NUM_THREADS=2 python bench/bench_losses.py --quick          # batches 32 and 64, smoke run
    OMP_NUM_THREADS=2 python bench/bench_losses.py --output results/bench_losses.md
    OMP_NUM_THREADS=2 python bench/bench_losses.py --only margin,clusterloss --step-seconds 4.2
    OMP_NUM_THREADS=1 python bench/bench_losses.py --only LoOp --step-seconds 2.048
"""
import argparse
import os
import sys
import time
from types import SimpleNamespace

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# isort: off
import common  # noqa: E402,F401  (first: it sets up threads before MXNet loads)
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import autograd  # noqa: E402
# isort: on

TARGET = 0.03              # a loss call may cost at most 3 % of a training step
EMBED_DIM = 512
CUB_CLASSES, CUB_IMAGES = 100, 5864   # the default dataset's training split
SOP_CLASSES = 11318                   # proxies scale with the class count: the largest split
STEP_BATCH = 32

# (row name, script, extra options, label layout). The layouts follow each script's
# sampler: 'shuffled' (shuffled batches of the training split), ('pk', K) (P classes x K
# images, K = the script's --batch-k), 'pairs' (N classes x 2, [anchors; positives]),
# 'episode' (classes x (supports + queries)), 'local' (a k-means cluster: a few classes
# with several images each).
CASES = [
    ('triplet semi-hard', 'train_triplet_semihard', [], 'shuffled'),
    ('margin + distance-weighted sampling', 'train_margin', [], 'pk'),
    ('proxy-triplet', 'train_proxy', ['--loss', 'triplet'], 'shuffled'),
    ('ProxyNCA', 'train_proxy', ['--loss', 'nca'], 'shuffled'),
    ('proxy cross-entropy', 'train_proxy', ['--loss', 'xentropy'], 'shuffled'),
    ('angular (N-pair form)', 'train_angular', [], 'pairs'),
    ('N-pair + angular', 'train_angular', ['--angular-lambda', '2'], 'pairs'),
    ('ranked list', 'train_rankedlistloss', [], 'pk'),
    ('HPHN + Embedding Expansion', 'train_hphn_ee', [], 'pk'),
    ('lifted structured (smooth)', 'train_liftedstruct', [], 'shuffled'),
    ('lifted structured (hard)', 'train_liftedstruct', ['--lifted-form', 'hard'], 'shuffled'),
    ('lifted structured (Deep_Metric)', 'train_liftedstruct', ['--lifted-form', 'deep-metric'],
     'shuffled'),
    ('lifted structured (generalized)', 'train_liftedstruct', ['--lifted-form', 'generalized'],
     'shuffled'),
    ('N-pair', 'train_npairs', [], 'pairs'),
    ('contrastive', 'train_contrastive', [], 'pk'),
    ('binomial deviance', 'train_binomial', [], 'pk'),
    ('NCA', 'train_nca', [], 'pk'),
    ('multi-similarity', 'train_multisimilarity', [], 'pk'),
    ('stochastic symmetric triplet', 'train_sst', [], 'local'),
    ('DR all-triplet', 'train_dr', ['--loss', 'triplet'], 'pk'),
    ('DR ProxyNCA', 'train_dr', ['--loss', 'proxynca'], 'pk'),
    ('DR multi-similarity', 'train_dr', ['--loss', 'ms'], 'pk'),
    ('facility location (greedy + PAM)', 'train_clusterloss', [], 'shuffled'),
    ('prototypical', 'train_prototype', [], 'episode'),
    ('NormSoftmax', 'train_normproxy', [], 'shuffled'),
    ('DREML member (ProxyNCA, 12 meta-classes)', 'train_dreml', [], 'shuffled'),
    ('discriminative (C-d embedding)', 'train_discriminative', [], 'shuffled'),
    # LoOp, until train_loop.py exists: the blocks themselves ('block:' + class of
    # common.losses), with the official sampler's K = 32 (4 classes at batch 128).
    ('LoOp HPHN-triplet', 'block:LoOpHPHNTripletLoss', [], ('pk', 32)),
    ('LoOp triplet', 'block:LoOpTripletLoss', [], ('pk', 32)),
    ('LoOp lifted', 'block:LoOpLiftedLoss', [], ('pk', 32)),
    ('LoOp multi-similarity', 'block:LoOpMultiSimilarityLoss', [], ('pk', 32)),
]
BLOCK = 'block:'
# Proxy losses are also timed with SOP's class count: their cost grows with it.
PROXY_SCRIPTS = {'train_proxy', 'train_normproxy'}


def load_script(name):
    """The Recipe subclass defined by ROOT/<name>.py, instantiated."""
    from common.training.recipe import load_recipe
    return load_recipe(os.path.join(ROOT, name + '.py'))


class FakeSplit:
    """What build_loss reads of a training split: its class count and size."""

    def __init__(self, num_classes, size):
        self.num_classes, self.size = num_classes, size

    def __len__(self):
        return self.size


def layout_labels(layout, script, args, batch, classes, rng):
    """(labels, extra options, batch actually used, classes actually needed)."""
    if layout == 'shuffled':
        # A shuffled draw from the training split (CUB-like: classes x ~59 images).
        pool = np.arange(max(CUB_IMAGES, batch)) % classes
        return rng.permutation(pool)[:batch], [], batch, classes
    if layout == 'pk':
        k = args.batch_k
        p = batch // k     # the sampler needs a multiple of K: the nearest one below
        chosen = rng.permutation(max(p, classes))[:p]
        return np.repeat(chosen, k), ['--batch-size', str(p * k)], p * k, max(p, classes)
    if layout == 'pairs':
        n = batch // 2
        chosen = rng.permutation(max(n, classes))[:n]
        return np.concatenate([chosen, chosen]), ['--batch-size', str(2 * n)], 2 * n, \
            max(n, classes)
    if layout == 'episode':
        per_class = args.ns + args.nq
        nc = batch // per_class
        chosen = rng.permutation(max(nc, classes))[:nc]
        labels = np.concatenate([np.repeat(chosen, args.ns), np.repeat(chosen, args.nq)])
        return labels, ['--nc', str(nc)], nc * per_class, max(nc, classes)
    if layout == 'local':
        # A cluster of the embedding space: about 10 images of each of batch / 10 classes.
        chosen = rng.permutation(classes)[:max(2, batch // 10)]
        return rng.choice(chosen, batch), [], batch, classes
    raise ValueError(layout)


def build_block_case(name, layout, batch, classes, rng):
    """(loss block, unit embeddings, P x K labels, batch) for a block without a script."""
    import common.losses
    _, k = layout
    p = batch // k
    labels = np.repeat(rng.permutation(max(p, classes))[:p], k)
    loss = getattr(common.losses, name)()
    loss.initialize()
    loss.hybridize(static_alloc=True, static_shape=True)
    x = rng.randn(p * k, EMBED_DIM).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return loss, mx.nd.array(x), mx.nd.array(labels.astype(np.float32)), p * k


def build_case(script_name, options, layout, batch, classes, rng):
    """(loss block, embeddings, labels, batch) as the script would train them."""
    if script_name.startswith(BLOCK):
        return build_block_case(script_name[len(BLOCK):], layout, batch, classes, rng)
    script = load_script(script_name)
    base = ['--embed-dim', str(EMBED_DIM)] + list(options)
    args = script.parse_args(base)
    labels, more, batch, classes = layout_labels(layout, script, args, batch, classes, rng)
    if more:
        args = script.parse_args(base + more)
    if script_name == 'train_dreml':
        classes, dim = args.meta_classes, args.meta_classes       # one member's head
        labels = labels % classes
    elif script_name == 'train_discriminative':
        dim = classes                                              # one dimension per class
    else:
        dim = args.embed_dim
    dataset = SimpleNamespace(train=FakeSplit(classes, max(CUB_IMAGES, batch)))
    loss = script.build_loss(args, dataset)
    loss.initialize()
    if not args.disable_hybridize:
        loss.hybridize()
    x = rng.randn(batch, dim).astype(np.float32)
    if script.head_normalize or script_name in ('train_normproxy', 'train_dreml'):
        x /= np.linalg.norm(x, axis=1, keepdims=True)
    else:
        x /= np.sqrt(dim)  # a freshly initialised head's scale, roughly
    return loss, mx.nd.array(x), mx.nd.array(labels.astype(np.float32)), batch


def time_loss(loss, x, labels, reps, warmup=2):
    """Median seconds of one forward + backward of ``loss(x, labels)``."""
    x.attach_grad()

    def call():
        with autograd.record():
            out = loss(x, labels)
        out.backward()
        mx.nd.waitall()

    for _ in range(warmup):
        call()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def local_step_seconds(image_size=224, batch_size=STEP_BATCH, steps=5, warmup=2):
    """One Inception-BN + 512-d head training step (forward, backward, Adam), measured
    here; used only while bench/bench_training_step.py is not available."""
    from mxnet import gluon

    from common.models import EmbeddingHead, build_embedding_net, get_backbone
    backbone, _ = get_backbone('inception-bn', pretrained=False)
    net = build_embedding_net(backbone, None, head=EmbeddingHead(EMBED_DIM, normalize=True))
    net.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 1e-4})
    data = mx.nd.random.normal(shape=(batch_size, 3, image_size, image_size))
    times = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        with autograd.record():
            out = net(data)
            loss = mx.nd.sum(mx.nd.square(out))
        loss.backward()
        trainer.step(batch_size)
        mx.nd.waitall()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return float(np.median(times))


def step_seconds(quick):
    """(seconds of a batch-32 step, where the figure comes from)."""
    steps, warmup = (2, 1) if quick else (5, 2)
    try:
        from bench_training_step import mxnet_step_seconds
    except ImportError:
        return local_step_seconds(steps=steps, warmup=warmup), 'measured here (local fallback)'
    return (mxnet_step_seconds(224, batch_size=STEP_BATCH, mode='static', steps=steps,
                               warmup=warmup), 'bench_training_step.mxnet_step_seconds')


def selected_cases(only):
    cases = []
    for name, script, options, layout in CASES:
        cases.append((name, script, options, layout, CUB_CLASSES))
        if script in PROXY_SCRIPTS:
            cases.append((name, script, options, layout, SOP_CLASSES))
    if only:
        wanted = only.split(',')
        cases = [c for c in cases if any(w in c[1] or w in c[0] for w in wanted)]
    return cases


def run(batches, reps, only, step, rng):
    rows = []
    for name, script, options, layout, classes in selected_cases(only):
        for batch in batches:
            loss, x, labels, used = build_case(script, options, layout, batch, classes, rng)
            seconds = time_loss(loss, x, labels, reps)
            share = seconds / (step * used / STEP_BATCH)
            label = name if classes == CUB_CLASSES else '%s, %d classes' % (name, classes)
            rows.append(dict(loss=label, script=script, batch=used, ms=1000 * seconds,
                             share=share, met=share <= TARGET))
            print('%-50s %5d %10.1f %8.2f %%  %s' % (label, used, 1000 * seconds, 100 * share,
                                                     'yes' if share <= TARGET else 'NO'),
                  flush=True)
    return rows


def markdown(rows, step, source, batches):
    lines = ['# Loss blocks: time per call relative to one training step', '',
             'Forward + backward of each loss (with its mining), hybridized, %d-d embeddings '
             '(C-d for the discriminative loss, 12-d for a DREML member), labels in the '
             "layout of the script's sampler; median over the repetitions. Requested batches: "
             '%s; P x K layouts use the nearest multiple of K below.' % (
                 EMBED_DIM, ', '.join(str(b) for b in batches)), '',
             'One Inception-BN training step at 224 px and batch %d: %.3f s (%s); the step at '
             'batch B is taken as B / %d times that (linear scaling). Target: <= %d %%. '
             'OMP_NUM_THREADS=%s.' % (STEP_BATCH, step, source, STEP_BATCH, round(100 * TARGET),
                                      os.environ.get('OMP_NUM_THREADS', 'unset')), '',
             '| loss | script | batch | ms per call | % of a step | target met |',
             '|---|---|---:|---:|---:|---|']
    for r in rows:
        script = r['script'] if r['script'].startswith(BLOCK) else r['script'] + '.py'
        lines.append('| %s | %s | %d | %.1f | %.2f | %s |' % (
            r['loss'], script, r['batch'], r['ms'], 100 * r['share'],
            'yes' if r['met'] else '**no**'))
    return '\n'.join(lines) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--quick', action='store_true', help='batches 32 and 64, few repetitions')
    parser.add_argument('--batches', default=None, help='comma-separated batch sizes')
    parser.add_argument('--reps', type=int, default=None, help='timed calls per loss and batch')
    parser.add_argument('--only', default='', help='comma-separated script or loss substrings')
    parser.add_argument('--step-seconds', type=float, default=None,
                        help='seconds of a batch-32 224-px step (skips measuring it)')
    parser.add_argument('--output', default=None, help='write the table as Markdown here')
    args = parser.parse_args(argv)
    batches = [int(b) for b in (args.batches or ('32,64' if args.quick else '128,512')).split(',')]
    reps = args.reps or (2 if args.quick else 5)
    if args.step_seconds:
        step, source = args.step_seconds, 'given with --step-seconds'
    else:
        step, source = step_seconds(args.quick)
    print('Training step (Inception-BN, 224 px, batch %d): %.3f s (%s); scaled linearly to '
          'batch B as B / %d x that' % (STEP_BATCH, step, source, STEP_BATCH))
    print('%-50s %5s %10s %10s  %s' % ('loss', 'batch', 'ms', '% step', '<= 3 %?'))
    rows = run(batches, reps, args.only, step, np.random.RandomState(0))
    if args.output:
        with open(args.output, 'w') as f:
            f.write(markdown(rows, step, source, batches))
    return rows


if __name__ == '__main__':
    main()

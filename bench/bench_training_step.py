"""Training-step speed: Inception-BN + 64-d head + semi-hard triplet loss, MXNet vs PyTorch, CPU.

One step is forward, loss, backward and an optimizer update (Adam by default, the same on
both sides) of a batch of 32 random images with P x K = 8 x 4 labels. MXNet runs
imperatively (the playground's --disable-hybridize), hybridized, and hybridized with
static memory and shapes; PyTorch runs the hand-written equivalent in
``bench/torch_inception_bn.py`` in NCHW and channels_last. Every configuration runs in
its own fresh process (several torch models timed in one process give pathological
numbers). Before timing, the MXNet parameters are copied into the PyTorch network and
the forward outputs, the losses and the gradients are compared.

    python bench/bench_training_step.py                          # 224 and 64 px, ~5-10 min
    python bench/bench_training_step.py --quick                  # 64 px, few steps, ~1-2 min
    python bench/bench_training_step.py --sizes 64,112 --steps 10 --warmup 3 --output table.md
    python bench/bench_training_step.py --modes static,torch-cl --sizes 64   # chosen modes only

Besides the default modes, ``--modes`` takes static-naive / imperative-naive (synchronous
engine), static-no-mkldnn and torch-compile (minutes of compilation; no faster than
channels_last here). ``mxnet_step_seconds(image_size)`` gives the seconds of one such
step in our fastest hybridized mode, for benchmarks that express costs in training steps.
"""
import argparse
import importlib.util
import itertools
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for _path in (ROOT, HERE):
    if _path not in sys.path:
        sys.path.insert(0, _path)

TORCH_MISSING = ('bench_training_step: the PyTorch comparison needs torch: '
                 'pip install torch==2.13.0')
EMBED_DIM, CLASSES_PER_BATCH, LR, WD = 64, 8, 1e-4, 1e-5

# mode: (framework, hybridize keyword arguments or None, extra environment, description)
MODES = {
    'imperative': ('mxnet', None, {}, 'MXNet, not hybridized (--disable-hybridize)'),
    'hybrid': ('mxnet', {}, {}, 'MXNet, hybridize() (what the training scripts do)'),
    'static': ('mxnet', {'static_alloc': True, 'static_shape': True}, {},
               'MXNet, hybridize(static_alloc=True, static_shape=True)'),
    'static-fused': ('mxnet', {'static_alloc': True, 'static_shape': True}, {},
                     'MXNet, network and loss in one static hybridized block'),
    'static-naive': ('mxnet', {'static_alloc': True, 'static_shape': True},
                     {'MXNET_ENGINE_TYPE': 'NaiveEngine'},
                     'MXNet, static, synchronous engine (MXNET_ENGINE_TYPE=NaiveEngine)'),
    'imperative-naive': ('mxnet', None, {'MXNET_ENGINE_TYPE': 'NaiveEngine'},
                         'MXNet, not hybridized, synchronous engine'),
    'static-no-mkldnn': ('mxnet', {'static_alloc': True, 'static_shape': True},
                         {'MXNET_MKLDNN_ENABLED': '0'},
                         'MXNet, static, MKLDNN off (MXNET_MKLDNN_ENABLED=0)'),
    'torch': ('torch', None, {}, 'PyTorch, NCHW (contiguous)'),
    'torch-cl': ('torch', 'channels_last', {}, 'PyTorch, channels_last'),
    'torch-compile': ('torch', 'compile', {}, 'PyTorch, channels_last, torch.compile'),
}
DEFAULT_MODES = ('imperative', 'hybrid', 'static', 'static-fused', 'torch', 'torch-cl')
FASTEST_MXNET_MODE = 'static'


def batch_labels(batch_size):
    """P x K labels: CLASSES_PER_BATCH classes, batch_size / CLASSES_PER_BATCH images each."""
    import numpy as np
    if batch_size % CLASSES_PER_BATCH:
        raise ValueError('bench_training_step: --batch-size must be a multiple of %d'
                         % CLASSES_PER_BATCH)
    return np.repeat(np.arange(CLASSES_PER_BATCH), batch_size // CLASSES_PER_BATCH)


def random_batch(image_size, batch_size, seed=0):
    import numpy as np
    rng = np.random.RandomState(seed)
    x = rng.standard_normal((batch_size, 3, image_size, image_size)).astype(np.float32)
    labels = batch_labels(batch_size)
    if seed:  # later batches mix the order of the classes, as a sampler's batches do
        labels = rng.permutation(labels)
    return x, labels.astype(np.float32)


# Timed steps cycle through this many batches: on one fixed batch the loss reaches 0 within
# a few steps and its backward pass stops doing work.
BATCHES = 4


def random_batches(image_size, batch_size):
    return [random_batch(image_size, batch_size, seed) for seed in range(BATCHES)]


def _timed(step, steps, warmup):
    """(median seconds per step, last loss); the median resists other processes' bursts."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        value = step()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


# --- MXNet -------------------------------------------------------------------------------

def mxnet_network(seed=0):
    """Our Inception-BN with a fresh 64-d head, randomly initialised, and the loss."""
    import mxnet as mx

    from common.losses.triplet_semihard import TripletSemiHardLoss
    from common.models import get_backbone
    from common.models.embedding import build_embedding_net
    mx.random.seed(seed)
    backbone, _ = get_backbone('inception-bn', pretrained=False, ctx=mx.cpu())
    net = build_embedding_net(backbone, EMBED_DIM, ctx=mx.cpu())
    loss = TripletSemiHardLoss()
    loss.initialize(ctx=mx.cpu())
    return net, loss


def _fused_block(net, loss):
    from mxnet.gluon import HybridBlock

    class NetAndLoss(HybridBlock):
        """Network and loss as one graph: one cached op per step instead of two."""

        def __init__(self):
            super().__init__(prefix='')
            self.net, self.loss = net, loss

        def hybrid_forward(self, F, x, labels):
            return self.loss(self.net(x), labels)

    return NetAndLoss()


def _mxnet_trainer(net, optimizer):
    from mxnet import gluon
    options = {'learning_rate': LR, 'wd': WD}
    if optimizer == 'sgd':
        options['momentum'] = 0.9
    return gluon.Trainer(net.collect_params(), optimizer, options)


def mxnet_time(image_size, batch_size, mode, steps, warmup, optimizer='adam'):
    """(seconds per step, last loss) of ``mode`` in this process (its environment must be set)."""
    import mxnet as mx
    from mxnet import autograd
    framework, hybrid, _, _ = MODES[mode]
    if framework != 'mxnet':
        raise ValueError('bench_training_step: %s is not an MXNet mode' % mode)
    net, loss = mxnet_network()
    batches = [(mx.nd.array(x), mx.nd.array(y)) for x, y in random_batches(image_size,
                                                                           batch_size)]
    count = itertools.count()
    step_block = None
    if hybrid is not None:
        if mode == 'static-fused':
            step_block = _fused_block(net, loss)
            step_block.hybridize(**hybrid)
        else:
            net.hybridize(**hybrid)
            loss.hybridize(**hybrid)
    trainer = _mxnet_trainer(net, optimizer)

    def step():
        x, y = batches[next(count) % len(batches)]
        with autograd.record():
            value = step_block(x, y) if step_block is not None else loss(net(x), y)
        value.backward()
        # The training loop reads the loss every step; so does the benchmark.
        scalar = float(value.asscalar())
        trainer.step(1)  # the semi-hard loss is already a mean: the scripts' divisor is 1
        return scalar

    def synchronized_step():
        value = step()
        mx.nd.waitall()  # the update must be finished before the clock stops
        return value

    return _timed(synchronized_step, steps, warmup)


def mxnet_step_seconds(image_size, batch_size=32, mode='static', steps=5, warmup=2):
    """Seconds of one Inception-BN training step (forward, semi-hard triplet loss,
    backward, Adam update) at ``image_size`` px in MXNet ``mode``: the median of ``steps``
    steps after ``warmup``, measured in a fresh process with this process's environment
    (OMP_NUM_THREADS defaults to all cores)."""
    return run_case(mode, image_size, batch_size, steps, warmup)['seconds']


# --- PyTorch -----------------------------------------------------------------------------

def torch_optimizer(params, optimizer):
    import torch
    if optimizer == 'sgd':
        return torch.optim.SGD(params, lr=LR, momentum=0.9, weight_decay=WD)
    # Coupled L2 as MXNet's Adam; the fused CPU kernel is PyTorch's fastest implementation.
    try:
        return torch.optim.Adam(params, lr=LR, weight_decay=WD, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=LR, weight_decay=WD)


def torch_time(image_size, batch_size, mode, steps, warmup, optimizer='adam'):
    import torch
    from torch_inception_bn import InceptionBNEmbedding, triplet_semihard_loss
    variant = MODES[mode][1]
    torch.manual_seed(0)
    net = InceptionBNEmbedding(EMBED_DIM).train()
    batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in random_batches(image_size,
                                                                                   batch_size)]
    if variant in ('channels_last', 'compile'):
        net = net.to(memory_format=torch.channels_last)
        batches = [(x.contiguous(memory_format=torch.channels_last), y) for x, y in batches]
    count = itertools.count()
    opt = torch_optimizer(net.parameters(), optimizer)
    forward = net
    if variant == 'compile':
        forward = torch.compile(net)

    def step():
        x, y = batches[next(count) % len(batches)]
        opt.zero_grad(set_to_none=True)
        value = triplet_semihard_loss(forward(x), y)
        value.backward()
        scalar = float(value.item())
        opt.step()
        return scalar

    # PyTorch CPU ops are synchronous: the update is done when opt.step() returns.
    return _timed(step, steps, warmup)


# --- equivalence -------------------------------------------------------------------------

def _rel(a, b):
    import numpy as np
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


def _rel_norm(a, b):
    import numpy as np
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-12))


def equivalence(image_size=64, batch_size=32, tol=1e-3, grad_tol=5e-2):
    """Copy the MXNet parameters into the PyTorch network and compare outputs, losses and
    gradients; returns {check: relative difference}; raises if one is too large.

    Outputs and losses must agree within ``tol`` (max abs difference relative to the
    largest value). Parameter gradients are compared by the norm of the difference
    relative to a float64 PyTorch reference, within ``grad_tol``: through ~60
    training-mode BatchNorms in series any float32 computation drifts by about 1% (PyTorch
    float32 does too; the table reports it as the yardstick), and a ReLU input within
    float32 rounding of 0 can flip and move one sample's contribution.
    """
    import mxnet as mx
    import numpy as np
    import torch
    from mxnet import autograd
    from torch_inception_bn import (
        InceptionBNEmbedding,
        load_mxnet_parameters,
        triplet_semihard_loss,
    )
    net, loss = mxnet_network()
    x_np, y_np = random_batch(image_size, batch_size)
    x, y = mx.nd.array(x_np), mx.nd.array(y_np)
    eval_mx = net(x).asnumpy()  # inference mode: also completes deferred initialisation
    # MKLDNN reorders the weights in place during the first inference forward; a read
    # before it has finished can return a half-reordered weight, so wait for it.
    mx.nd.waitall()
    mx_params = {p.name: p.data().asnumpy() for p in net.collect_params().values()}
    with autograd.record():
        emb = net(x)
        value = loss(emb, y)
    value.backward()
    mx_grad = {}
    for p in net.collect_params().values():
        for suffix in ('conv_1_weight', 'conv_5b_1x1_weight', 'dense0_weight'):
            if p.name.endswith(suffix):
                mx_grad[suffix] = p.grad().asnumpy()
    out = {}
    for dtype in (torch.float64, torch.float32):
        tnet = InceptionBNEmbedding(EMBED_DIM)
        load_mxnet_parameters(tnet, mx_params)
        tnet = tnet.to(dtype)
        xt, yt = torch.from_numpy(x_np).to(dtype), torch.from_numpy(y_np).to(dtype)
        with torch.no_grad():
            eval_t = tnet.eval()(xt).numpy()
        temb = tnet.train()(xt)
        tvalue = triplet_semihard_loss(temb, yt)
        tvalue.backward()
        grads = {'conv_1_weight': tnet.features[0].conv.weight.grad,
                 'conv_5b_1x1_weight': tnet.features[-1].branches[0][0].conv.weight.grad,
                 'dense0_weight': tnet.head.weight.grad}
        grads = {k: v.double().numpy() for k, v in grads.items()}
        if dtype == torch.float64:
            reference = grads
            continue
        out['forward, inference BN'] = _rel(eval_t, eval_mx)
        out['forward, training BN'] = _rel(temb.detach().numpy(), emb.asnumpy())
        out["loss on the networks' outputs"] = _rel(tvalue.detach().numpy().reshape(1),
                                                     value.asnumpy().reshape(1))
        for name, grad in reference.items():
            out['gradient %s, MXNet vs float64' % name] = _rel_norm(mx_grad[name], grad)
            out['gradient %s, PyTorch float32 vs float64' % name] = _rel_norm(grads[name], grad)
    # The two losses on the same embeddings, with the labels of several batch shapes.
    rng = np.random.RandomState(1)
    worst_loss, worst_grad = 0.0, 0.0
    for labels in (batch_labels(batch_size), rng.randint(0, 5, 24), rng.randint(0, 20, 24),
                   np.zeros(6), np.arange(6)):
        e_np = rng.standard_normal((len(labels), EMBED_DIM)).astype(np.float32) * 0.2
        e = mx.nd.array(e_np)
        e.attach_grad()
        with autograd.record():
            v = loss(e, mx.nd.array(labels))
        v.backward()
        te = torch.from_numpy(e_np).requires_grad_()
        tv = triplet_semihard_loss(te, torch.from_numpy(labels.astype(np.float32)))
        tv.backward()
        mx_value = float(v.asscalar())
        worst_loss = max(worst_loss, abs(tv.item() - mx_value) / max(abs(mx_value), 1e-6))
        worst_grad = max(worst_grad, float(np.max(np.abs(te.grad.numpy() - e.grad.asnumpy()))))
    out['loss, same embeddings (5 label sets)'] = worst_loss
    out['loss gradient, same embeddings (abs)'] = worst_grad
    def fails(name, v):
        if 'PyTorch float32 vs float64' in name:
            return False  # the yardstick, not a test
        if 'MXNet vs float64' in name:
            return not v <= grad_tol
        return not v <= tol

    bad = {k: v for k, v in out.items() if fails(k, v)}
    if bad:
        raise AssertionError('bench_training_step: MXNet and PyTorch disagree: %s' % bad)
    return out


# --- driver ------------------------------------------------------------------------------

def _child(args):
    if args.case == 'check':
        result = {'check': equivalence(args.size, args.batch_size)}
    else:
        timer = mxnet_time if MODES[args.case][0] == 'mxnet' else torch_time
        seconds, value = timer(args.size, args.batch_size, args.case, args.steps, args.warmup,
                               args.optimizer)
        result = {'mode': args.case, 'px': args.size, 'seconds': seconds,
                  'img_s': args.batch_size / seconds, 'loss': value}
    print(json.dumps(result))


def run_case(case, size, batch_size, steps, warmup, optimizer='adam'):
    """Run one configuration in a fresh process; returns its JSON result."""
    env = dict(os.environ)
    env.setdefault('OMP_NUM_THREADS', str(len(os.sched_getaffinity(0))))
    if case in MODES:
        env.update(MODES[case][2])
    cmd = [sys.executable, os.path.abspath(__file__), '--case', case, '--sizes', str(size),
           '--batch-size', str(batch_size), '--steps', str(steps), '--warmup', str(warmup),
           '--optimizer', optimizer]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        lines = (done.stderr.strip() or done.stdout.strip() or 'no output').splitlines()
        raise RuntimeError('%s at %d px failed: %s' % (case, size, lines[-1]))
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(rows, modes, sizes):
    """Markdown lines: mode, px, img/s, ratio to imperative, ratio to the best PyTorch mode."""
    lines = ['| mode | px | img/s | vs imperative | vs best PyTorch |', '|---|---|---|---|---|']
    for size in sizes:
        here = {r['mode']: r for r in rows if r['px'] == size}
        base = here.get('imperative')
        torch_rows = [r for r in here.values() if MODES[r['mode']][0] == 'torch']
        best_torch = max(torch_rows, key=lambda r: r['img_s']) if torch_rows else None
        for mode in modes:
            if mode not in here:
                continue
            r = here[mode]
            vs_imp = '%.2fx' % (r['img_s'] / base['img_s']) if base else '-'
            vs_torch = ('%.2fx' % (r['img_s'] / best_torch['img_s'])
                        + (' (%s)' % best_torch['mode'] if r is not best_torch else '')
                        if best_torch else '-')
            lines.append('| %s | %d | %.1f | %s | %s |' % (mode, size, r['img_s'], vs_imp,
                                                           vs_torch))
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--sizes', default='224,64', help='image sizes in px, comma-separated')
    p.add_argument('--modes', default=','.join(DEFAULT_MODES),
                   help='comma-separated, from: %s' % ', '.join(MODES))
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--steps', type=int, default=None,
                   help='timed steps (default 5 at 224 px and above, 15 below)')
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--optimizer', choices=['adam', 'sgd'], default='adam',
                   help='the same on both sides (sgd: momentum 0.9); lr %g, wd %g' % (LR, WD))
    p.add_argument('--quick', action='store_true', help='64 px, 4 timed steps, 2 warm-up')
    p.add_argument('--no-check', action='store_true', help='skip the equivalence check')
    p.add_argument('--output', help='also write the table as Markdown to this file')
    p.add_argument('--case', help=argparse.SUPPRESS)  # one configuration, in a child process
    args = p.parse_args()
    try:
        sizes = [int(s) for s in args.sizes.split(',') if s]
    except ValueError:
        p.error('--sizes: integers separated by commas, e.g. 224,64')
    if args.case:
        args.size = sizes[0]
        args.steps = args.steps or 5
        return _child(args)
    modes = [m for m in args.modes.split(',') if m]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        p.error('--modes: unknown %s; choose from %s' % (', '.join(unknown), ', '.join(MODES)))
    if args.quick:
        sizes, args.warmup, args.steps = [64], 2, 4
    have_torch = importlib.util.find_spec('torch') is not None
    if not have_torch:
        print(TORCH_MISSING, file=sys.stderr)
        modes = [m for m in modes if MODES[m][0] != 'torch']
    check = None
    if have_torch and not args.no_check:
        check = run_case('check', 64, args.batch_size, 1, 0)['check']
        print('Equivalence (MXNet parameters copied into PyTorch; relative differences):')
        for name, value in check.items():
            print('  %-40s %.2e' % (name, value))
    rows = []
    for size in sizes:
        steps = args.steps or (5 if size >= 224 else 15)
        for mode in modes:
            try:
                r = run_case(mode, size, args.batch_size, steps, args.warmup, args.optimizer)
            except RuntimeError as e:
                print('bench_training_step: %s' % e, file=sys.stderr)
                continue
            rows.append(r)
            print('%-17s %4d px  %7.1f img/s  (%.3f s/step, loss %.4f)'
                  % (mode, size, r['img_s'], r['seconds'], r['loss']), flush=True)
    lines = table(rows, modes, sizes)
    print('\n'.join(lines))
    if args.output:
        head = ['Training step of Inception-BN + 64-d head + semi-hard triplet loss, batch %d '
                '(%d classes x %d), %s, random input; %d warm-up steps, then the median of %s '
                'timed steps; '
                'OMP_NUM_THREADS=%s, %d cores; each row in a fresh process.'
                % (args.batch_size, CLASSES_PER_BATCH, args.batch_size // CLASSES_PER_BATCH,
                   args.optimizer, args.warmup, args.steps or '5 (224 px) / 15',
                   os.environ.get('OMP_NUM_THREADS', 'unset'), len(os.sched_getaffinity(0))),
                '']
        head += ['- `%s`: %s' % (m, MODES[m][3]) for m in modes] + ['']
        if check:
            head += ['Equivalence before timing (relative differences): '
                     + '; '.join('%s %.1e' % kv for kv in check.items()), '']
        with open(args.output, 'w') as f:
            f.write('\n'.join(head + lines) + '\n')


if __name__ == '__main__':
    main()

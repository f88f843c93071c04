import os

import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon
from mxnet.gluon import HybridBlock

from common.losses import TripletSemiHardLoss
from common.records import Recorder, read_records
from common.training import NonFiniteError, ParamGroup, Recipe, RunState, fit
from common.training.faults import MAX_FAULTS_WRITTEN
from common.training.loop import train_epoch
from script_runs import ROOT, TESTS, glyph_argv, run


class NaNAfter(HybridBlock):
    """Triplet loss that is NaN from its ``after``-th call on (only at that call if ``once``)."""

    def __init__(self, after, once=False):
        super().__init__()
        self.calls, self.after, self.once, self.inner = 0, after, once, TripletSemiHardLoss()

    def forward(self, x, labels):
        self.calls += 1
        value = self.inner(x, labels)
        nan = self.calls == self.after if self.once else self.calls >= self.after
        return value * float('nan') if nan else value


class NaNGradient(HybridBlock):
    """Finite value, NaN gradient: sqrt at exactly zero."""

    def hybrid_forward(self, F, x, labels):
        return F.sum(F.sqrt(F.abs(x - x)))


class Script(Recipe):
    name = 'looptest'
    defaults = dict(batch_size=32, epochs=1, lr=1e-3, factor=0.5, wd=0.0, steps='0')

    def __init__(self, loss):
        self.loss = loss

    def build_loss(self, args, dataset):
        return self.loss


def test_nan_loss_stops_the_run_naming_epoch_and_iteration(glyph_root, tmp_path):
    script = Script(NaNAfter(after=3))
    argv = glyph_argv(glyph_root, tmp_path, '--skip-pretrain-validation', '--disable-hybridize')
    with pytest.raises(NonFiniteError, match='run 1, epoch 1, iteration 3: the loss is nan'):
        run(script, argv)
    errors = [line for line in open(tmp_path / 'train_looptest.jsonl') if '"error"' in line]
    assert errors and 'iteration 3' in errors[0]


@pytest.mark.filterwarnings('ignore:The 1-th input to HybridBlock is not used')
def test_nan_gradient_is_caught_before_the_update(glyph_root, tmp_path):
    with pytest.raises(NonFiniteError, match='iteration 1: a gradient is NaN'):
        run(Script(NaNGradient()), glyph_argv(glyph_root, tmp_path, '--skip-pretrain-validation'))


class FakeLoader(list):
    pass


class Noop:
    def on_epoch_start(self, state):
        pass

    def on_epoch_end(self, state, loss):
        return None

    def lr_scale(self, state):
        return 1.0

    def forward(self, state, data):
        return state.net(data)


def squares(embeddings, labels):
    return (embeddings ** 2).sum()


def test_best_epoch_is_the_first_with_the_highest_r1(tmp_path):
    net = gluon.nn.Dense(2)
    net.initialize()
    batch = (mx.nd.ones((4, 3)), mx.nd.array([0, 0, 1, 1]))
    scores = iter([50.0, 60.0, 60.0, 55.0])
    args = type('A', (), dict(skip_pretrain_validation=True, epochs=4, factor=1.0,
                              eval_every=1))()
    group = ParamGroup(net.collect_params(), 'sgd', 0.01, 0.0)
    trainers = [gluon.Trainer(group.params, 'sgd', {'learning_rate': 0.01})]
    state = RunState(args, 1, net, squares, [mx.cpu()], None, None,
                     Recorder(str(tmp_path), None, stream=None), trainers, [group])
    saved, save = [], net.save_parameters
    net.save_parameters = lambda path: (saved.append(path), save(path))
    result = fit(state, Noop(), FakeLoader([batch]), lambda n: {'R@1': next(scores)}, [],
                 save_path=str(tmp_path / 'best.params'))
    assert result.best_epoch == 2 and result.best == {'R@1': 60.0}
    assert result.last == {'R@1': 55.0}
    assert len(saved) == 2


def test_two_devices_apply_the_same_update_as_one():
    """Splitting a batch over cpu(0) and cpu(1) sums their gradients like one device."""
    data = mx.nd.array(np.random.RandomState(0).randn(8, 5))
    labels = mx.nd.arange(8)
    results = []
    for contexts in ([mx.cpu(0)], [mx.cpu(0), mx.cpu(1)]):
        mx.random.seed(1)
        net = gluon.nn.Dense(3)
        net.initialize(mx.init.Normal(0.5), ctx=contexts)
        group = ParamGroup(net.collect_params(), 'sgd', 0.1, 0.0)
        trainers = [gluon.Trainer(group.params, 'sgd', {'learning_rate': 0.1}, kvstore='device')]
        state = RunState(None, 1, net, squares, contexts, None, None, None, epoch=1)
        train_epoch(state, [(data, labels)] * 3, Noop(), trainers, [group])
        results.append([p.data(contexts[-1]).asnumpy() for p in net.collect_params().values()])
    for one, two in zip(*results):
        np.testing.assert_allclose(one, two, rtol=1e-5, atol=1e-6)


def test_a_group_is_not_updated_before_its_start_epoch():
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize()
    before = net.weight.data().asnumpy()
    group = ParamGroup(net.collect_params(), 'sgd', 0.1, 0.0, start_epoch=2)
    trainers = [gluon.Trainer(group.params, 'sgd', {'learning_rate': 0.1})]
    batch = [(mx.nd.ones((4, 3)), mx.nd.array([0, 0, 1, 1]))]
    for epoch, changed in ((1, False), (2, True)):
        state = RunState(None, 1, net, squares, [mx.cpu()], None, None, None, epoch=epoch)
        train_epoch(state, batch, Noop(), trainers, [group])
        assert (not np.array_equal(net.weight.data().asnumpy(), before)) == changed


class Watching(Script):
    """Keeps what each training forward pass saw: images, labels (via the loss) and output."""

    def __init__(self, loss):
        super().__init__(loss)
        self.seen, self.state = [], None

    def forward(self, state, data):
        self.state = state
        out = state.net(data)
        self.seen.append((data.asnumpy(), out.asnumpy()))
        return out


def test_a_nonfinite_batch_is_written_so_that_it_can_be_reproduced(glyph_root, tmp_path,
                                                                   monkeypatch):
    """With prefetching workers the dump still names the batch that failed: its images,
    rebuilt from the written keys, and the written weights give the embeddings it saw."""
    import json

    import common.training.run_setup as script_module
    from common.data.image_dataset import ImageDataset
    loaders = []
    real_loader = script_module.train_loader

    def train_loader(split, transform, *rest):
        loaders.append((split, transform))
        return real_loader(split, transform, *rest)
    monkeypatch.setattr(script_module, 'train_loader', train_loader)
    script = Watching(NaNAfter(3, once=True))
    argv = glyph_argv(glyph_root, tmp_path, '--skip-pretrain-validation', '--num-workers', '2')
    with pytest.raises(NonFiniteError, match='iteration 3: the loss is nan; lower --lr.*'
                                             'looptest.nonfinite/run1_epoch1_iteration3'):
        run(script, argv)
    folder = tmp_path / 'train_looptest.nonfinite' / 'run1_epoch1_iteration3'
    batch = json.load(open(folder / 'batch.json'))
    assert batch['problem'] == 'the loss is nan' and (batch['run'], batch['epoch']) == (1, 1)
    split, transform = loaders[0]
    assert batch['labels'] == [int(split.labels[i]) for i in batch['indices']]
    assert all(os.path.isfile(p) for p in batch['paths'])
    images, embeddings = script.seen[2]
    dataset = ImageDataset(split, transform)
    rebuilt = np.stack([dataset[tuple(k)][0] for k in batch['keys']])
    np.testing.assert_array_equal(rebuilt, images)
    net = script.state.net
    net.load_parameters(str(folder / 'net.params'))
    with mx.autograd.record():  # training mode, as the loop ran it
        again = net(mx.nd.array(rebuilt)).asnumpy()
    np.testing.assert_allclose(again, embeddings, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_skipping_nonfinite_batches_is_counted_in_the_records(glyph_root, tmp_path):
    from common.records import read_records
    script = Script(NaNAfter(2, once=True))
    summary = run(script, glyph_argv(glyph_root, tmp_path, '--skip-pretrain-validation',
                                     '--on-nonfinite', 'skip', '--no-nmi'))
    assert np.isfinite(summary['best']['R@1']['mean'])
    records = read_records(str(tmp_path / 'train_looptest.jsonl'))
    epoch = [r for r in records if r['kind'] == 'epoch'][0]
    assert epoch['skipped_batches'] == 1 and np.isfinite(epoch['loss'])
    skipped = [r for r in records if r['kind'] == 'skipped_batch']
    assert [(r['epoch'], r['iteration']) for r in skipped] == [(1, 2)]
    assert len(skipped[0]['indices']) == 32
    folder = tmp_path / 'train_looptest.nonfinite' / 'run1_epoch1_iteration2'
    assert (folder / 'batch.json').exists()
    assert '1 non-finite batches skipped' in open(tmp_path / 'train_looptest.log').read()


@pytest.mark.slow
def test_an_epoch_of_only_nonfinite_batches_stops_even_when_skipping(glyph_root, tmp_path):
    with pytest.raises(NonFiniteError, match='every one of its .* batches had a non-finite'):
        run(Script(NaNAfter(after=1)), glyph_argv(glyph_root, tmp_path,
                                                  '--skip-pretrain-validation',
                                                  '--on-nonfinite', 'skip'))
    # only the first few faulty batches are written
    assert len(os.listdir(tmp_path / 'train_looptest.nonfinite')) == MAX_FAULTS_WRITTEN


@pytest.mark.slow
def test_a_run_stopped_by_a_nan_resumes_skipping_such_batches(glyph_root, tmp_path):
    from common.records import read_manifest, read_records
    argv = glyph_argv(glyph_root, tmp_path, '--skip-pretrain-validation', '--no-nmi', epochs=2)
    with pytest.raises(NonFiniteError, match='epoch 2, iteration 3'):  # 61 batches per epoch
        run(Script(NaNAfter(64, once=True)), argv)
    assert read_manifest(str(tmp_path / 'train_looptest.manifest.json'))['status'] == 'failed'
    run(Script(NaNAfter(3, once=True)), argv + ['--resume', '--on-nonfinite', 'skip'])
    records = read_records(str(tmp_path / 'train_looptest.jsonl'))
    assert [(r['epoch'], r['iteration']) for r in records if r['kind'] == 'skipped_batch'] == \
        [(2, 3)]
    assert [r['epoch'] for r in records if r['kind'] == 'epoch'] == [1, 2]


AMP_RUN = """
import json, sys
import numpy as np
from mxnet.gluon import HybridBlock
from common.losses import TripletSemiHardLoss
from script_runs import glyph_argv, run
from test_loop import Script

seen = []

class Float32Check(HybridBlock):
    def __init__(self):
        super().__init__()
        self.inner = TripletSemiHardLoss()

    def forward(self, x, labels):
        seen.append(str(x.dtype))
        return self.inner(x, labels)

plain = run(Script(Float32Check()), glyph_argv(sys.argv[1], sys.argv[2] + '/fp32', '--no-nmi',
                                               epochs=2))
seen.clear()  # AMP from here on: it patches the operators of networks built afterwards
amp = run(Script(Float32Check()), glyph_argv(sys.argv[1], sys.argv[2], '--amp', '--no-nmi',
                                             epochs=2))
print(json.dumps({'dtypes': sorted(set(seen)), 'plain': plain, 'amp': amp}))
"""


@pytest.mark.slow
@pytest.mark.integration
def test_amp_trains_with_finite_losses_and_float32_loss_inputs(glyph_root, tmp_path):
    """bfloat16 on the CPU (MKLDNN builds): the loss block receives float32 embeddings, the
    losses stay finite, and the untrained network scores as it does in float32. In a process
    of its own: AMP patches MXNet's operators for the rest of the process."""
    import json
    import subprocess
    import sys
    if not mx.runtime.Features().is_enabled('MKLDNN'):
        pytest.skip('this MXNet build has no MKLDNN, hence no bfloat16 AMP on the CPU')
    here = os.path.dirname(os.path.abspath(__file__))  # this module, imported by AMP_RUN
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, TESTS, here]),
               OMP_NUM_THREADS='1')  # bfloat16 is emulated here; one thread keeps it steady
    done = subprocess.run([sys.executable, '-c', AMP_RUN, glyph_root, str(tmp_path)], cwd=here,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out['dtypes'] == ["<class 'numpy.float32'>"]
    records = read_records(str(tmp_path / 'train_looptest.jsonl'), 'epoch')
    assert [r['epoch'] for r in records] == [0, 1, 2]
    assert all(np.isfinite(r['loss']) for r in records if 'loss' in r)
    # The same initial weights evaluated in bfloat16 (8 bits of mantissa) and in float32:
    # close, not equal. (After training they drift apart as any two runs that differ in
    # rounding do on this small, noisy problem, e.g. with another OpenMP thread count.)
    plain, amp = out['plain']['pretrain']['R@1']['mean'], out['amp']['pretrain']['R@1']['mean']
    assert abs(plain - amp) < 3, (plain, amp)

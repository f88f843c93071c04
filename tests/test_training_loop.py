import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon
from mxnet.gluon import HybridBlock

from common.losses import TripletSemiHardLoss
from common.records import Recorder
from common.training import NonFiniteError, ParamGroup, RunState, TrainingScript, fit
from common.training.loop import train_epoch
from scripts import glyph_argv, run


class NaNAfter(HybridBlock):
    """Triplet loss that turns into NaN from its ``after``-th call."""

    def __init__(self, after):
        super().__init__()
        self.calls, self.after, self.inner = 0, after, TripletSemiHardLoss()

    def forward(self, x, labels):
        self.calls += 1
        value = self.inner(x, labels)
        return value * float('nan') if self.calls >= self.after else value


class NaNGradient(HybridBlock):
    """Finite value, NaN gradient: sqrt at exactly zero."""

    def hybrid_forward(self, F, x, labels):
        return F.sum(F.sqrt(F.abs(x - x)))


class Script(TrainingScript):
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

    def compute_loss(self, state, embeddings, labels):
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
    state = RunState(args, 1, net, None, [mx.cpu()], None, None,
                     Recorder(str(tmp_path), None, stream=None), trainers, [group])
    saved = []
    net.save_parameters = lambda path: saved.append(path)
    result = fit(state, Noop(), FakeLoader([batch]), lambda n: {'R@1': next(scores)}, [],
                 save_path='best.params')
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
        state = RunState(None, 1, net, None, contexts, None, None, None, epoch=1)
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
        state = RunState(None, 1, net, None, [mx.cpu()], None, None, None, epoch=epoch)
        train_epoch(state, batch, Noop(), trainers, [group])
        assert (not np.array_equal(net.weight.data().asnumpy(), before)) == changed

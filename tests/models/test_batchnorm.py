"""--frozen-bn: the backbone's BatchNorm layers keep their moving statistics while training."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon

import common.training.runner as script_module
from common.losses import TripletSemiHardLoss
from common.models import EmbeddingHead, build_embedding_net, freeze_batchnorm, get_backbone
from common.models.batchnorm import batchnorm_layers, bn_mode
from common.records import read_manifest, read_records
from common.training.checkpoint import ResumeError
from script_runs import ROOT, TESTS, Interrupt, glyph_argv, interrupted, run, small_folder
from train_dreml import DREML
from train_sst import SST
from train_triplet_semihard import TripletSemiHard

STATISTICS = ('running_mean', 'running_var')
AFFINE = ('gamma', 'beta')


def snapshot(block):
    """Every parameter of ``block`` on every device, as numpy (after pending engine work)."""
    mx.nd.waitall()
    return {name: [d.asnumpy() for d in p.list_data()]
            for name, p in block.collect_params().items()}


def changed(before, after, names):
    return {n for n in names if any(not np.array_equal(b, a)
                                    for b, a in zip(before[n], after[n]))}


def watched(script_class):
    """The script, keeping its first network's parameters from before its first trained
    epoch (and before the work the epoch hook does) and after its last, with the
    gradients of the last step. (Later DREML members are built alike, but without an
    evaluation before training their parameters are not yet there at that point.)"""
    class Watched(script_class):
        def on_epoch_start(self, state):
            if not hasattr(self, 'net'):
                self.before = snapshot(state.net)
                self.net = state.net
            super().on_epoch_start(state)

        def on_epoch_end(self, state, loss):
            if state.net is not self.net:  # a later ensemble member
                return super().on_epoch_end(state, loss)
            self.after = snapshot(state.net)
            self.grads = {name: p.grad().asnumpy() for name, p in
                          state.net.collect_params().items() if p.grad_req != 'null'}
            return super().on_epoch_end(state, loss)
    return Watched()


def names_of(net, kinds, layers=None):
    layers = batchnorm_layers(net.backbone) if layers is None else layers
    return {getattr(layer, kind).name for layer in layers for kind in kinds}


def conv_weights(net):
    return {p.name for p in net.backbone.collect_params().values() if len(p.shape) == 4}


@pytest.fixture(scope='module')
def tiny_folder(glyph_root, tmp_path_factory):
    """24 training and 24 test images: an epoch is three batches of 8."""
    return small_folder(glyph_root, tmp_path_factory.mktemp('tiny') / 'data', classes=8,
                        images=6)


def tiny_argv(data, results, *extra, model='small', epochs=1):
    return ['--dataset', 'folder', '--data-path', str(data), '--model', model,
            '--no-pretrained', '--image-size', '32', '--num-workers', '0', '--no-nmi',
            '--epochs', str(epochs), '--batch-size', '8', '--lr', '1e-3', '--steps', '0',
            '--results-dir', str(results), '--save-model-prefix', 'none'] + \
        [str(e) for e in extra]  # the pre-training evaluation completes deferred initialisation


@pytest.mark.parametrize('model', ['small', 'efficientnet-lite0'])
@pytest.mark.parametrize('mode', ['train', 'frozen', 'frozen-affine'])
def test_an_epoch_keeps_or_updates_the_statistics_as_the_mode_says(tiny_folder, tmp_path,
                                                                   model, mode):
    options = {'train': [], 'frozen': ['--frozen-bn'],
               'frozen-affine': ['--frozen-bn', '--frozen-bn-affine']}[mode]
    script = watched(TripletSemiHard)
    run(script, tiny_argv(tiny_folder, tmp_path, *options, model=model))
    net, before, after = script.net, script.before, script.after
    layers = batchnorm_layers(net.backbone)
    assert len(layers) == {'small': 4, 'efficientnet-lite0': 49}[model]
    statistics, affine = names_of(net, STATISTICS), names_of(net, AFFINE)
    if mode == 'train':
        # As before: batch statistics, and the moving averages follow them.
        assert changed(before, after, statistics) == statistics
    else:
        assert changed(before, after, statistics) == set()  # bitwise unchanged
    assert changed(before, after, affine) == (set() if mode == 'frozen-affine' else affine)
    # Gradients reach every convolution, and every convolution and the head learn.
    convs = conv_weights(net)
    assert convs and all(np.abs(script.grads[c]).sum() > 0 for c in convs)
    head = {p.name for p in net.head.collect_params().values()}
    assert changed(before, after, convs | head) == convs | head
    manifest = read_manifest(str(tmp_path / 'train_triplet_semihard.manifest.json'))
    assert manifest['batchnorm'] == mode and manifest['args']['frozen_bn'] == (mode != 'train')
    config = read_records(str(tmp_path / 'train_triplet_semihard.jsonl'), 'config')[0]
    assert config['batchnorm'] == mode


class BatchNormHead(gluon.HybridBlock):
    """An embedding head with a BatchNorm of its own, which --frozen-bn must leave alone."""

    def __init__(self, embed_dim):
        super().__init__()
        with self.name_scope():
            self.bn = gluon.nn.BatchNorm()
            self.dense = gluon.nn.Dense(embed_dim)

    def hybrid_forward(self, F, x):
        return self.dense(self.bn(x))


class TripletWithBatchNormHead(TripletSemiHard):
    def build_head(self, args, dataset):
        return BatchNormHead(args.embed_dim)


def test_heads_keep_training_their_batchnorm(tiny_folder, tmp_path):
    script = watched(TripletWithBatchNormHead)
    run(script, tiny_argv(tiny_folder, tmp_path, '--frozen-bn'))
    net = script.net
    head_statistics = names_of(net, STATISTICS, batchnorm_layers(net.head))
    assert len(head_statistics) == 2
    assert changed(script.before, script.after, head_statistics) == head_statistics
    assert changed(script.before, script.after, names_of(net, STATISTICS)) == set()


def two_cpus(monkeypatch):
    monkeypatch.setattr(script_module, 'get_contexts', lambda gpus: [mx.cpu(0), mx.cpu(1)])


def frozen_run_changes(script_class, argv):
    """Run ``script_class`` with ``argv``; (backbone statistics changed, affine parameters
    changed, all affine parameters, copies per parameter) as sorted lists."""
    script = watched(script_class)
    run(script, argv)
    net = script.net
    statistics, affine = names_of(net, STATISTICS), names_of(net, AFFINE)
    assert statistics
    return (sorted(changed(script.before, script.after, statistics)),
            sorted(changed(script.before, script.after, affine)), sorted(affine),
            sorted({len(copies) for copies in script.after.values()}))


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize('case', ['two devices', 'imperative', 'dreml', 'sst'])
def test_frozen_statistics_hold_on_every_path(tiny_folder, tmp_path, monkeypatch, case):
    script_class, extra = TripletSemiHard, []
    if case == 'two devices':
        monkeypatch.setattr(script_module, 'get_contexts', lambda gpus: [mx.cpu(0), mx.cpu(1)])
    elif case == 'imperative':
        extra = ['--disable-hybridize']
    elif case == 'dreml':  # the first member's network
        script_class, extra = DREML, ['-L', '2', '-D', '2']
    elif case == 'sst':  # its epoch starts by embedding the training set to sample it
        script_class = SST
    statistics, affine, all_affine, copies = frozen_run_changes(
        script_class, tiny_argv(tiny_folder, tmp_path, '--frozen-bn', *extra))
    assert statistics == [] and affine == all_affine
    assert copies == [2 if case == 'two devices' else 1]


AMP_RUN = """
import json, sys
from test_batchnorm import frozen_run_changes, tiny_argv
from train_triplet_semihard import TripletSemiHard
print(json.dumps(frozen_run_changes(TripletSemiHard, tiny_argv(sys.argv[1], sys.argv[2],
                                                                '--frozen-bn', '--amp'))))
"""


@pytest.mark.slow
@pytest.mark.integration
def test_frozen_statistics_hold_under_amp(tiny_folder, tmp_path):
    """In a process of its own: AMP patches MXNet's operators for the rest of the process."""
    import json
    import os
    import subprocess
    import sys
    if not mx.runtime.Features().is_enabled('MKLDNN'):
        pytest.skip('this MXNet build has no MKLDNN, hence no bfloat16 AMP on the CPU')
    here = os.path.dirname(os.path.abspath(__file__))  # this module, imported by AMP_RUN
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, TESTS, here]))
    done = subprocess.run([sys.executable, '-c', AMP_RUN, str(tiny_folder), str(tmp_path)],
                          cwd=here, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    statistics, affine, all_affine, _ = json.loads(done.stdout.strip().splitlines()[-1])
    assert statistics == [] and affine == all_affine and len(all_affine) == 8


def network(model, seed):
    mx.random.seed(seed)
    backbone, _ = get_backbone(model, pretrained=False)
    net = build_embedding_net(backbone, None, head=EmbeddingHead(16))
    net(mx.nd.zeros((1, 3, 32, 32)))  # finish the deferred initialisation
    return net


@pytest.mark.parametrize('model', ['small', 'efficientnet-lite0'])
def test_a_hybridized_step_equals_an_imperative_one(model):
    rng = np.random.RandomState(0)
    images = mx.nd.array(rng.uniform(-1, 1, (12, 3, 32, 32)))
    labels = mx.nd.array(np.repeat(np.arange(4), 3))
    results = []
    for hybrid in (False, True):
        net, loss = network(model, seed=3), TripletSemiHardLoss()
        freeze_batchnorm(net.backbone)
        if hybrid:
            net.hybridize(static_alloc=True, static_shape=True)
            loss.hybridize(static_alloc=True, static_shape=True)
        with autograd.record():
            value = loss(net(images), labels)
        value.backward()
        mx.nd.waitall()
        # The two networks' parameters differ in name prefixes only, and come in one order.
        results.append((value.asnumpy(), [(p.name, p.grad().asnumpy()) for p in
                                          net.collect_params().values() if p.grad_req != 'null']))
    (loss_a, grads_a), (loss_b, grads_b) = results
    np.testing.assert_allclose(loss_a, loss_b, rtol=1e-5)
    reference = network(model, 0)  # all its parameters but the moving statistics
    trainable = len(list(reference.collect_params().values())) - \
        2 * len(batchnorm_layers(reference))
    assert len(grads_a) == len(grads_b) == trainable
    for (name, a), (_, b) in zip(grads_a, grads_b):
        assert np.abs(a).sum() > 0, name
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6, err_msg=name)


def test_freezing_after_hybridizing_rebuilds_the_graph():
    net = network('small', seed=1)
    net.hybridize(static_alloc=True, static_shape=True)
    x = mx.nd.random.uniform(shape=(4, 3, 32, 32))
    with autograd.record():
        net(x)  # a cached graph in training mode
    freeze_batchnorm(net.backbone)
    before = snapshot(net.backbone)
    with autograd.record():
        net(x)
    after = snapshot(net.backbone)
    assert changed(before, after, names_of(net, STATISTICS)) == set()


@pytest.mark.integration
def test_resume_refuses_another_batchnorm_mode_and_continues_the_same(tiny_folder, tmp_path):
    argv = tiny_argv(tiny_folder, tmp_path / 'cut', '--frozen-bn', epochs=2)
    with pytest.raises(Interrupt):
        run(interrupted(TripletSemiHard, 1, 2), argv)
    without = [a for a in argv if a != '--frozen-bn']
    with pytest.raises(ResumeError, match=r'frozen_bn: True -> False'):
        run(TripletSemiHard(), without + ['--resume'])
    full = run(TripletSemiHard(), tiny_argv(tiny_folder, tmp_path / 'full', '--frozen-bn',
                                            epochs=2))
    assert run(TripletSemiHard(), argv + ['--resume']) == full


def test_the_affine_freeze_needs_frozen_statistics(tmp_path, capsys):
    with pytest.raises(SystemExit):
        TripletSemiHard().parse_args(glyph_argv('x', tmp_path, '--frozen-bn-affine'))
    assert '--frozen-bn-affine freezes gamma and beta on top of --frozen-bn: add --frozen-bn' \
        in capsys.readouterr().err
    assert [bn_mode(False), bn_mode(True), bn_mode(True, True)] == \
        ['train', 'frozen', 'frozen-affine']

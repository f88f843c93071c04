"""The NormSoftmax script: head, warm-up, options and binarized embeddings (its training runs
are rows of test_miniature_runs.py)."""
import mxnet as mx
import numpy as np
import pytest

from common.data import get_dataset
from common.models.norm_softmax_head import NormSoftmaxHead, WeightNormalizedDense
from common.training import BatchSize
from script_runs import glyph_argv
from train_normproxy import NormProxy


def test_binarized_test_embeddings_are_the_signs():
    # The --binarize run itself is a row of test_miniature_runs.py.
    assert NormProxy().test_embeddings(type('A', (), {'binarize': True}),
                                       np.array([[-0.5, 0.0, 0.2]])).tolist() == [[0, 0, 1]]


def test_weight_normalized_dense_uses_one_gain_and_the_frobenius_norm():
    layer = WeightNormalizedDense(3, in_units=4)
    layer.initialize()
    v = np.random.RandomState(0).randn(3, 4)
    layer.weight.set_data(mx.nd.array(v))
    layer.gain.set_data(mx.nd.array([2.5]))
    x = np.random.RandomState(1).randn(5, 4)
    expected = x @ (2.5 * v / np.sqrt((v ** 2).sum() + 1e-7)).T
    np.testing.assert_allclose(layer(mx.nd.array(x)).asnumpy(), expected, rtol=1e-5)


def test_head_without_fc_keeps_the_feature_size(glyph_root, tmp_path):
    script = NormProxy()
    args = script.parse_args(glyph_argv(glyph_root, tmp_path, '--no-fc'))
    assert args.embed_dim == 256  # the small backbone's features
    head = script.build_head(args, None)
    head.initialize()
    out = head(mx.nd.random.normal(shape=(3, 256))).asnumpy()
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1, rtol=1e-5)
    assert isinstance(NormSoftmaxHead(8), NormSoftmaxHead)


def test_warmup_trains_only_the_head_then_everything(glyph_root, tmp_path):
    script = NormProxy()
    args = script.parse_args(glyph_argv(glyph_root, tmp_path, '--embed-dim', '32'))
    dataset = get_dataset('glyphs', glyph_root)
    groups = script.parameter_groups(args, _net(args, script, dataset),
                                     script.build_loss(args, dataset), BatchSize(32))
    assert [(g.name, g.start_epoch) for g in groups] == [('backbone', 2), ('head', 1)]
    assert any(n.endswith('proxies') for n in groups[1].params.keys())
    with pytest.raises(SystemExit):
        script.parse_args(glyph_argv(glyph_root, tmp_path, '--warmup-epochs', '-1'))


def test_static_proxies_need_enough_dimensions(glyph_root, tmp_path):
    script = NormProxy()
    args = script.parse_args(glyph_argv(glyph_root, tmp_path, '--static-proxies',
                                        '--embed-dim', '16'))
    with pytest.raises(ValueError, match=r'--embed-dim must be at least the number of classes '
                                         r'\(31\): static proxies are one-hot vectors'):
        script.build_loss(args, get_dataset('glyphs', glyph_root))


def _net(args, script, dataset):
    from common.models import build_embedding_net, get_backbone
    return build_embedding_net(get_backbone('small', pretrained=False)[0], None,
                               head=script.build_head(args, dataset))

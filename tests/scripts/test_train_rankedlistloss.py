import mxnet as mx
import pytest

from common.models import build_embedding_net, get_backbone
from script_runs import glyph_argv, miniature_run
from train_rankedlistloss import RankedList


@pytest.mark.slow
@pytest.mark.integration
def test_miniature_run_raises_recall(glyph_root, tmp_path):
    before, after, _ = miniature_run(RankedList(), glyph_root, tmp_path, '--batch-k', '3',
                                     '--iteration-per-epoch', '30', '--lr', '1e-3',
                                     '--bottleneck-layers', '128', batch_size=60)
    assert after > before + 5


def test_embedding_learns_10x_faster_after_inception_bn(glyph_root, tmp_path):
    script = RankedList()
    args = script.parse_args(glyph_argv(glyph_root, tmp_path, '--bottleneck-layers', '32,16',
                                        '--embed-dim', '8')
                             + ['--model', 'inception-bn'])
    net = build_embedding_net(get_backbone('small', pretrained=False)[0], None,
                              head=script.build_head(args, None))
    script.configure_net(args, net)
    assert {p.lr_mult for p in net.head.collect_params().values()} == {10.0}
    assert net(mx.nd.zeros((2, 3, 32, 32))).shape == (2, 8)
    assert len(net.head.hidden) == 2

import mxnet as mx

from common.models import build_embedding_net, get_backbone
from script_runs import glyph_argv
from train_rankedlistloss import RankedList


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

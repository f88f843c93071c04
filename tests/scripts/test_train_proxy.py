

from common.data import get_dataset
from common.models import build_embedding_net, get_backbone
from common.training import BatchSize
from script_runs import glyph_argv
from train_proxy import Proxy


def test_three_learning_rates_or_one(glyph_root, tmp_path):
    script = Proxy()
    net = build_embedding_net(get_backbone('small', pretrained=False)[0], 16)
    dataset = get_dataset('glyphs', glyph_root)
    args = script.parse_args(glyph_argv(glyph_root, tmp_path, '--loss', 'nca'))
    loss = script.build_loss(args, dataset)
    groups = script.parameter_groups(args, net, loss, BatchSize(32))
    assert [(g.name, g.lr) for g in groups] == [('backbone', 1e-3), ('head', 1e-5), ('loss', 1e-3)]
    assert all(g.options['epsilon'] == 1e-2 and g.wd == 5e-4 for g in groups)
    args = script.parse_args(glyph_argv(glyph_root, tmp_path, '--lr', '3e-4'))
    assert [g.lr for g in script.parameter_groups(args, net, loss, BatchSize(32))] == [3e-4] * 3

import numpy as np

from common.training import BatchSize
from script_runs import glyph_argv
from train_margin import Margin


def test_beta_has_its_own_sgd_and_is_learned_per_class(glyph_root, tmp_path):
    script = Margin()
    args = script.parse_args(glyph_argv(glyph_root, tmp_path, '--batch-k', '4'))
    from common.data import get_dataset
    loss = script.build_loss(args, get_dataset('glyphs', glyph_root))
    loss.initialize()
    assert loss.beta.shape == (31,)  # one boundary per training class
    from common.models import build_embedding_net, get_backbone
    net = build_embedding_net(get_backbone('small', pretrained=False)[0], 16)
    groups = script.parameter_groups(args, net, loss, BatchSize(args.batch_size))
    assert [(g.name, g.optimizer, g.lr, g.wd) for g in groups] == [
        ('net', 'adam', args.lr, args.wd), ('beta', 'sgd', 0.1, 0.0)]
    assert all(g.divisor == args.batch_size for g in groups)  # the playground: step(batch)
    args = script.parse_args(glyph_argv(glyph_root, tmp_path, '--lr-beta', '0'))
    frozen = script.build_loss(args, get_dataset('glyphs', glyph_root))
    frozen.initialize()
    assert frozen.beta.grad_req == 'null'
    assert len(script.parameter_groups(args, net, frozen, BatchSize(args.batch_size))) == 1
    assert np.allclose(frozen.beta.data().asnumpy(), 1.2)

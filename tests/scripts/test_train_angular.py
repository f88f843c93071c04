import pytest

from script_runs import miniature_run
from train_angular import Angular


def test_odd_batch_is_rejected(glyph_root, tmp_path):
    with pytest.raises(ValueError, match='must be even'):
        miniature_run(Angular(), glyph_root, tmp_path, batch_size=33)


@pytest.mark.parametrize('flag,normalized', [((), False), (('--normalize-embeddings',), True)])
def test_embeddings_are_unnormalised_unless_asked(flag, normalized, tmp_path):
    import mxnet as mx
    import numpy as np
    args = Angular().parse_args(['--dataset', 'glyphs', '--embed-dim', '8', *flag])
    head = Angular().build_head(args, None)
    head.initialize(mx.init.Normal(1.0))
    norms = np.linalg.norm(head(mx.nd.ones((3, 5))).asnumpy(), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-5) == normalized

import pytest

from script_runs import miniature_run
from train_angular import Angular


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize('extra', [(), ('--angular-lambda', '2', '--symmetric-loss')])
def test_miniature_run_raises_recall(extra, glyph_root, tmp_path):
    before, after, _ = miniature_run(Angular(), glyph_root, tmp_path, '--epoch-length', '30',
                                     '--lr', '1e-3', *extra, batch_size=32)
    assert after > before + 5


def test_odd_batch_is_rejected(glyph_root, tmp_path):
    with pytest.raises(ValueError, match='must be even'):
        miniature_run(Angular(), glyph_root, tmp_path, batch_size=33)

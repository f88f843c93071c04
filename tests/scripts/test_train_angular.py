import pytest

from script_runs import miniature_run
from train_angular import Angular


def test_odd_batch_is_rejected(glyph_root, tmp_path):
    with pytest.raises(ValueError, match='must be even'):
        miniature_run(Angular(), glyph_root, tmp_path, batch_size=33)

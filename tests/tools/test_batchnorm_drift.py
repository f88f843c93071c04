"""The BatchNorm drift tool: training steps without updates (learning rate 0)."""
import json

import pytest

from common.tools import batchnorm_drift
from script_runs import small_folder


def test_drift_moves_the_statistics_in_training_mode_only(glyph_root, tmp_path, capsys):
    data = small_folder(glyph_root, tmp_path / 'data', classes=8, images=6)
    out = tmp_path / 'drift.json'
    rows = batchnorm_drift.main([
        'train_triplet_semihard.py', '--passes', '4', '--out', str(out), '--',
        '--dataset', 'folder', '--data-path', str(data), '--model', 'small', '--no-pretrained',
        '--image-size', '32', '--batch-size', '8', '--num-workers', '0', '--no-nmi',
        '--results-dir', str(tmp_path)])
    train, frozen = rows
    assert (train['batchnorm'], frozen['batchnorm']) == ('train', 'frozen')
    assert train['layers'] == frozen['layers'] == 4
    assert train['layers_moved'] == 4 and frozen['layers_moved'] == 0
    # The same network, data and seed: the same start; frozen, nothing can change.
    assert train['before'] == frozen['before'] == frozen['after']
    assert json.load(open(out)) == rows
    printed = capsys.readouterr().out
    assert '4 training steps without an update (learning rate 0; test split)' in printed
    assert 'frozen' in printed and '0 of 4' in printed and '4 of 4' in printed


def test_bad_options_are_named(tmp_path, capsys):
    with pytest.raises(SystemExit):
        batchnorm_drift.main(['train_triplet_semihard.py', '--passes', '0'])
    assert '--passes must be at least 1' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        batchnorm_drift.main([str(tmp_path / 'train_nothing.py')])
    assert 'train_nothing.py' in capsys.readouterr().err

"""The discriminative-loss script: C-dimensional embeddings and a guarded scale."""
import subprocess
import sys

import pytest

from common.data import get_dataset
from script_runs import ROOT, glyph_argv
from train_discriminative import Discriminative


def test_embedding_has_one_dimension_per_class_and_scale_follows_the_playground(glyph_root,
                                                                                 tmp_path):
    script = Discriminative()
    dataset = get_dataset('glyphs', glyph_root)
    args = script.parse_args(glyph_argv(glyph_root, tmp_path, batch_size=64))
    head = script.build_head(args, dataset)
    assert head.dense._units == dataset.train.num_classes == 31
    c, n = 31, 64
    expected = 3 * (c - 1) * (n / c - 1) * n / c
    assert script.build_loss(args, dataset).scale == pytest.approx(expected)


def test_batches_not_larger_than_the_classes_need_an_explicit_scale(glyph_root, tmp_path):
    script = Discriminative()
    dataset = get_dataset('glyphs', glyph_root)
    args = script.parse_args(glyph_argv(glyph_root, tmp_path, batch_size=31))
    with pytest.raises(ValueError, match='flips the objective when n <= C; use --batch-size above '
                                         '31 or give a positive --loss-scale'):
        script.build_loss(args, dataset)
    args = script.parse_args(glyph_argv(glyph_root, tmp_path, '--loss-scale', '2', batch_size=31))
    assert script.build_loss(args, dataset).scale == 2
    with pytest.raises(SystemExit):
        script.parse_args(glyph_argv(glyph_root, tmp_path, '--loss-scale', '-1'))


@pytest.mark.slow
@pytest.mark.integration
def test_command_line_error_is_one_line(glyph_root, tmp_path):
    cmd = [sys.executable, 'train_discriminative.py'] + glyph_argv(glyph_root, tmp_path,
                                                                   batch_size=16)
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and 'Traceback' not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(
        'train_discriminative.py: error: the discriminative loss scale')

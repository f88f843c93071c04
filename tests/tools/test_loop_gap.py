"""common.tools.loop_gap: EE's discrete minimum against LoOp's d* on an embeddings file."""
import numpy as np
import pytest

from common.evaluation.embeddings_file import save_embeddings
from common.tools import loop_gap


def clustered(rng, classes=6, per_class=5, dim=16):
    centres = rng.randn(classes, dim)
    x = np.repeat(centres, per_class, axis=0) + 0.6 * rng.randn(classes * per_class, dim)
    return x, np.repeat(np.arange(classes), per_class)


def test_the_discrete_minimum_comes_down_to_d_star():
    x, labels = clustered(np.random.RandomState(0))
    result = loop_gap.measure(x, labels, 300)
    gaps = [row['mean_gap'] for row in result['rows']]
    assert [row['inner'] for row in result['rows']] == list(loop_gap.INNER_POINTS)
    assert min(gaps) >= -1e-9                       # sampled arc points never beat d*
    assert all(a >= b - 1e-12 for a, b in zip(gaps, gaps[1:]))
    assert gaps[0] > 1e-3 and gaps[-1] < 1e-4      # end points alone are clearly worse


def test_tuples_pair_two_images_of_two_classes():
    labels = np.array([0, 0, 1, 1, 1, 2])           # class 2 has one image: never drawn
    picks = loop_gap.draw_tuples(labels, 200, np.random.RandomState(1))
    assert (labels[picks[:, 0]] == labels[picks[:, 1]]).all()
    assert (labels[picks[:, 2]] == labels[picks[:, 3]]).all()
    assert (labels[picks[:, 0]] != labels[picks[:, 2]]).all()
    assert (picks[:, 0] != picks[:, 1]).all() and (picks[:, 2] != picks[:, 3]).all()
    assert not np.isin(5, picks)


def test_command_line_writes_the_table(tmp_path, capsys):
    x, labels = clustered(np.random.RandomState(2))
    path = str(tmp_path / 'e.npz')
    save_embeddings(path, x, labels, np.array(['p%d' % i for i in range(len(x))]), 'euclidean')
    loop_gap.main([path, '--tuples', '50', '--out', str(tmp_path / 'gap')])
    assert '| 2 |' in capsys.readouterr().out
    assert (tmp_path / 'gap.json').exists() and (tmp_path / 'gap.md').exists()


@pytest.mark.parametrize('labels, message', [(None, 'no such embeddings file'),
                                             (np.arange(4), 'need two classes')])
def test_bad_input_is_one_line(tmp_path, capsys, labels, message):
    path = str(tmp_path / 'e.npz')
    if labels is not None:
        save_embeddings(path, np.eye(4), labels, np.array(list('abcd')), 'euclidean')
    with pytest.raises(SystemExit):
        loop_gap.main([path])
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and path in err[-1]

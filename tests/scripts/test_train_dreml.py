"""DREML: meta-class groupings, the ensemble's evaluation, member storage and resuming."""
import json

import numpy as np
import pytest

from common.records import read_records
from common.training.ensemble import (
    EnsembleRunner,
    EnsembleStateError,
    MemberStore,
    concatenate,
    first_best,
    meta_class_maps,
)
from script_runs import glyph_argv, run
from train_dreml import DREML


def test_meta_classes_are_balanced_random_groupings():
    maps = meta_class_maps(31, 5, 4, seed=3)
    assert maps.shape == (5, 31)
    for row in maps:
        assert sorted(np.bincount(row, minlength=4)) == [7, 8, 8, 8]
    assert len({tuple(row) for row in maps}) == 5
    np.testing.assert_array_equal(maps, meta_class_maps(31, 5, 4, seed=3))


def test_ensemble_embedding_concatenates_members():
    a = [(np.ones((3, 2)), np.arange(3))]
    b = [(np.zeros((3, 4)), np.arange(3))]
    (emb, labels), = concatenate([a, b])
    assert emb.shape == (3, 6) and labels.tolist() == [0, 1, 2]


@pytest.mark.slow
@pytest.mark.integration
def test_resume_continues_an_interrupted_run_to_the_same_result(glyph_root, tmp_path,
                                                                monkeypatch):
    argv = ['-L', '2', '-D', '6', '--lr', '1e-3', '--no-nmi', '--steps', '0']
    full = run(DREML(), glyph_argv(glyph_root, tmp_path / 'full', *argv))

    calls = []
    original = EnsembleRunner.train_network

    def interrupted(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # killed while training the second member
        return original(self, *args, **kwargs)

    monkeypatch.setattr(EnsembleRunner, 'train_network', interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(DREML(), glyph_argv(glyph_root, tmp_path / 'cut', *argv))
    monkeypatch.setattr(EnsembleRunner, 'train_network', original)
    folder = tmp_path / 'cut' / 'dreml_members'
    assert json.load(open(folder / 'state.json'))['finished'] == [0]
    assert (folder / 'member_000.params').exists() and not list(folder.glob('*.tmp*'))

    with pytest.raises(EnsembleStateError, match='pass --resume to continue it'):
        run(DREML(), glyph_argv(glyph_root, tmp_path / 'cut', *argv))
    with pytest.raises(EnsembleStateError, match=r'other options \(embed_dim, meta_classes\)'):
        run(DREML(), glyph_argv(glyph_root, tmp_path / 'cut', *argv[:3], '7', *argv[4:],
                                '--resume'))
    resumed = run(DREML(), glyph_argv(glyph_root, tmp_path / 'cut', *argv, '--resume'))
    assert resumed['last'] == full['last'] and resumed['pretrain'] == full['pretrain']


def test_more_meta_classes_than_classes_is_a_clear_error(glyph_root, tmp_path):
    with pytest.raises(ValueError, match='-D 40 meta-classes, but the training split has only 31'):
        run(DREML(), glyph_argv(glyph_root, tmp_path, '-L', '1', '-D', '40'))


def test_best_ensemble_size_is_the_first_with_the_highest_recall():
    assert first_best([{'R@1': 1.0}, {'R@1': 3.0}, {'R@1': 3.0}]) == 2


def test_store_keeps_members_atomically(tmp_path):
    store = MemberStore(str(tmp_path), 's', {'a': 1}, resume=False)
    store.save(0, [(np.ones((2, 3), np.float32), np.array([0, 1]))], {'R@1': 50.0})
    again = MemberStore(str(tmp_path), 's', {'a': 1}, resume=True)
    assert again.is_finished(0) and not again.is_finished(1)
    assert again.metrics == {0: {'R@1': 50.0}}
    (emb, labels), = again.load(0)
    assert emb.shape == (2, 3) and labels.tolist() == [0, 1]


@pytest.mark.slow
@pytest.mark.integration
def test_validation_chooses_the_ensemble_size_and_scores_the_test_split_once(glyph_root,
                                                                            tmp_path):
    summary = run(DREML(), glyph_argv(glyph_root, tmp_path, '-L', '2', '-D', '6', '--lr', '1e-3',
                                      '--no-nmi', '--steps', '0', '--val-classes', '8',
                                      '--save-embeddings'))
    assert summary['selection'] == 'validation'
    record, = read_records(str(tmp_path / 'train_dreml.jsonl'), 'run')
    members = read_records(str(tmp_path / 'train_dreml.jsonl'), 'member')
    # Members are scored on the 8 validation classes; the chosen size's test score differs.
    assert record['selected'] == members[record['best_epoch'] - 1]['metrics']
    assert record['selected'] != record['best'] and 'R@32' in record['best']
    saved = np.load(tmp_path / 'train_dreml_embeddings.npz')
    assert saved['embeddings'].shape == (1953, 6 * record['best_epoch'])
    assert str(saved['metric']) == 'cosine'

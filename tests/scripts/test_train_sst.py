import numpy as np
import pytest

from common.data.samplers import NeighbourhoodBatchSampler
from common.records import read_records
from common.training.schedule import Plateau
from script_runs import miniature_run
from train_sst import SST


def test_neighbourhood_batches_over_many_draws():
    rng = np.random.RandomState(0)
    labels = rng.randint(0, 6, 300)
    assignment = rng.randint(0, 12, 300)
    assignment[labels == 5] = 12  # a cluster of one class: no triplet, left out
    sampler = NeighbourhoodBatchSampler(labels, 20, seed=1)
    usable = sampler.set_clusters(assignment)
    assert usable == 12 and len(sampler) == 12
    for _ in range(20):
        batches = [np.array([i for i, _ in b]) for b in sampler]
        for b in batches:
            assert len(b) <= 20 and len(set(assignment[b])) == 1  # one neighbourhood each
            _, counts = np.unique(labels[b], return_counts=True)
            assert len(counts) > 1 and counts.max() > 1
        assert 12 not in {assignment[b[0]] for b in batches}
    again = NeighbourhoodBatchSampler(labels, 20, seed=1)
    again.set_clusters(assignment)
    first = NeighbourhoodBatchSampler(labels, 20, seed=1)
    first.set_clusters(assignment)
    assert list(again) == list(first)


def test_no_usable_neighbourhood_is_an_error():
    sampler = NeighbourhoodBatchSampler(np.arange(10), 5, seed=0)
    with pytest.raises(ValueError, match='no cluster holds a triplet'):
        sampler.set_clusters(np.zeros(10))


def test_plateau_halves_then_stops():
    plateau = Plateau(factor=0.5, patience=2, stop_patience=4)
    scales = [plateau.update(loss) for loss in [1.0, 0.9, 0.95, 0.95, 0.95, 0.95]]
    assert scales == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5]
    assert plateau.exhausted


@pytest.mark.slow
@pytest.mark.integration
def test_early_stop_ends_the_run(glyph_root, tmp_path):
    miniature_run(SST(), glyph_root, tmp_path, '--lr', '1e-9', '--embed-dim', '16',
                  '--early-stop-patience', '1', '--plateau-patience', '0',
                  '--logfile', 'train_sst.log', epochs=6)
    epochs = read_records(str(tmp_path / 'train_sst.jsonl'), 'epoch')
    assert len(epochs) < 7  # pre-train record + fewer than 6 epochs
    assert 'Stopping after epoch' in open(tmp_path / 'train_sst.log').read()

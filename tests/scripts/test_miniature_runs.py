"""Every training script, trained for a few epochs on the embedded glyphs, raises R@1.

One row per script and variant: its options, epochs and batch size, by how many points R@1
must rise over the untrained network, and what else the run must leave behind (``check``).
The scripts' other tests are in their own files, test_train_<script>.py.
"""
import json
import os
from typing import Callable, NamedTuple, Optional

import mxnet as mx
import numpy as np
import pytest

from common.records import read_records
from script_runs import miniature_run
from train_angular import Angular
from train_binomial import Binomial
from train_clusterloss import ClusterLoss
from train_contrastive import Contrastive
from train_discriminative import Discriminative
from train_dr import DirectionRegularization
from train_dreml import DREML
from train_hphn_ee import HPHNEmbeddingExpansion
from train_liftedstruct import LiftedStruct
from train_loop import LoOp
from train_margin import Margin
from train_multisimilarity import MultiSimilarity
from train_nca import NCA
from train_normproxy import NormProxy
from train_npairs import NPairs
from train_prototype import Prototype
from train_proxy import Proxy
from train_rankedlistloss import RankedList
from train_sst import SST
from train_triplet_semihard import TripletSemiHard

pytestmark = [pytest.mark.slow, pytest.mark.integration]


class Row(NamedTuple):
    script: type
    options: tuple = ()
    epochs: int = 3
    batch_size: int = 64
    gain: float = 5  # R@1 (points) must rise by more than this
    check: Optional[Callable] = None  # check(results_dir, summary) after the run
    quick: bool = True  # miniature_run's QUICK options (no NMI, no model files, no steps)


def last_epoch_is_finite(results, summary):
    assert np.isfinite(summary['last']['R@1']['mean'])


def members_add_up(results, summary):
    state = json.load(open(results / 'dreml_members' / 'state.json'))
    assert state['finished'] == [0, 1, 2]
    r1 = [state['metrics'][str(m)]['R@1'] for m in range(3)]
    assert r1[2] > r1[0]  # the ensemble beats its first member
    assert summary['last']['R@1']['mean'] == r1[2]
    assert not list((results / 'dreml_members').glob('*.params'))  # --save-model-prefix none
    epochs = read_records(str(results / 'train_dreml.jsonl'), 'epoch')
    assert [(r['member'], r['epoch']) for r in epochs] == [(1, 0), (1, 1), (1, 2), (2, 1), (2, 2),
                                                          (3, 1), (3, 2)]


def margin_config_is_recorded(results, summary):
    config = read_records(str(results / 'train_margin.jsonl'), 'config')[0]['args']
    assert config['lr_beta'] == 0.1 and config['nonzero_loss_cutoff'] == 1.4


def chosen_loss_options_recorded(records, choice, value, values, names):
    """The chosen loss's options (of ``names``) are recorded at their defaults ``values``,
    the other losses' as None."""
    def check(results, summary):
        args = read_records(str(results / records), 'config')[0]['args']
        assert args[choice] == value
        for name in names:
            assert args[name] == values.get(name), name
    return check


def lifted_form_options_recorded(form, values):
    return chosen_loss_options_recorded('train_liftedstruct.jsonl', 'lifted_form', form, values,
                                        ('margin', 'alpha', 'beta', 'neg_margin'))


def loop_options_recorded(loss, values):
    return chosen_loss_options_recorded('train_loop_%s.jsonl' % loss, 'loss', loss, values,
                                        ('margin', 'ms_alpha', 'ms_beta', 'ms_base',
                                         'ms_epsilon'))


def proxy_files_named_as_the_playground(loss):
    def check(results, summary):
        assert os.path.isfile(results / ('train_proxy_%s.jsonl' % loss))
    return check


def clusters_rebuilt_every_epoch(results, summary):
    log = open(results / 'train_sst.log').read()
    assert log.count('local sampling: 30 clusters') == 3


def records_model_and_log_are_written(results, summary):
    after = summary['best']['R@1']['mean']
    records = read_records(str(results / 'train_triplet_semihard.jsonl'))
    kinds = [r['kind'] for r in records]
    assert kinds[0] == 'config' and kinds.count('epoch') == 5 and kinds[-1] == 'summary'
    assert records[0]['args']['margin'] == 1.0 and records[0]['versions']['mxnet'] == mx.__version__
    best = [r for r in records if r['kind'] == 'run'][0]
    assert best['best']['R@1'] == after
    assert os.path.isfile(results / 'triplet_semihard_model.params')
    assert 'Pre-train validation' in open(results / 'train_triplet_semihard.log').read()


LR = ('--lr', '1e-3')
PK = ('--batch-k', '4', '--iteration-per-epoch', '30') + LR
HPHN = ('--model', 'small', '--embed-dim', '64', '--image-size', '32', '--batch-k', '8',
        '--iteration-per-epoch', '30', '--lr', '1e-3', '--eval-every', '1')
NORMPROXY = ('--embed-dim', '64')

ROWS = {
    'angular': Row(Angular, ('--epoch-length', '30') + LR, batch_size=32),
    'angular-lambda-symmetric': Row(Angular, ('--epoch-length', '30') + LR + (
        '--angular-lambda', '2', '--symmetric-loss'), batch_size=32),
    'clusterloss': Row(ClusterLoss, LR),
    'clusterloss-pk-rmsprop': Row(ClusterLoss, LR + (
        '--iteration-per-epoch', '25', '--batch-k', '4', '--optimizer', 'rmsprop',
        '--pam-iterations', '2')),
    'discriminative': Row(Discriminative, LR),
    'dr-triplet-phi': Row(DirectionRegularization, PK + ('--loss', 'triplet', '--dr-angle', 'phi'),
                          check=last_epoch_is_finite),
    'dr-proxynca-phi': Row(DirectionRegularization, PK + ('--loss', 'proxynca', '--dr-angle',
                                                          'phi'), check=last_epoch_is_finite),
    'dr-ms-theta': Row(DirectionRegularization, PK + ('--loss', 'ms', '--dr-angle', 'theta'),
                       check=last_epoch_is_finite),
    'dreml': Row(DREML, ('-L', '3', '-D', '8') + LR, epochs=2, check=members_add_up),
    'hphn-ee-2-inner-points': Row(HPHNEmbeddingExpansion, HPHN + ('--n-inner-pts', '2')),
    'hphn-ee-0-inner-points': Row(HPHNEmbeddingExpansion, HPHN + ('--n-inner-pts', '0')),
    'loop-hphn-triplet': Row(LoOp, HPHN + ('--loss', 'hphn-triplet'),
                             check=loop_options_recorded('hphn-triplet', dict(margin=1e-5))),
    'loop-triplet': Row(LoOp, HPHN + ('--loss', 'triplet')),
    'loop-lifted': Row(LoOp, HPHN + ('--loss', 'lifted')),
    'loop-ms': Row(LoOp, HPHN + ('--loss', 'ms'), check=loop_options_recorded('ms', dict(
        ms_alpha=2.0, ms_beta=50.0, ms_base=0.4, ms_epsilon=-0.02))),
    'margin': Row(Margin, PK, check=margin_config_is_recorded),
    'normproxy': Row(NormProxy, NORMPROXY),
    'normproxy-pk-no-dropout': Row(NormProxy, NORMPROXY + ('--batch-k', '4', '--no-dropout')),
    # Fixed one-hot proxies first pull the embedding onto the training classes' axes, which
    # costs test recall for a few epochs before it rises.
    'normproxy-static-cosine': Row(NormProxy, NORMPROXY + (
        '--static-proxies', '--similarity', 'cosine', '--warmup-epochs', '0'), epochs=6),
    'normproxy-binarized': Row(NormProxy, NORMPROXY + ('--binarize',), epochs=2, gain=0),
    'proxy-nca': Row(Proxy, ('--loss', 'nca'), check=proxy_files_named_as_the_playground('nca')),
    'proxy-xentropy': Row(Proxy, ('--loss', 'xentropy'),
                          check=proxy_files_named_as_the_playground('xentropy')),
    'proxy-triplet': Row(Proxy, ('--loss', 'triplet'),
                         check=proxy_files_named_as_the_playground('triplet')),
    'proxy-nca-class-balanced': Row(Proxy, ('--loss', 'nca', '--iteration-per-epoch', '20',
                                            '--batch-k', '4')),
    'liftedstruct': Row(LiftedStruct, LR),
    'liftedstruct-hard': Row(LiftedStruct, LR + ('--lifted-form', 'hard')),
    'liftedstruct-deep-metric': Row(LiftedStruct, LR + ('--lifted-form', 'deep-metric'),
                                    check=lifted_form_options_recorded(
                                        'deep-metric', dict(alpha=40.0, beta=2.0))),
    'liftedstruct-generalized': Row(LiftedStruct, LR + ('--lifted-form', 'generalized'),
                                    check=lifted_form_options_recorded(
                                        'generalized', dict(neg_margin=1.0))),
    'npairs-symmetric': Row(NPairs, ('--epoch-length', '30') + LR + ('--symmetric-loss',),
                            batch_size=32),
    'contrastive': Row(Contrastive, PK),
    'binomial': Row(Binomial, PK + ('--embed-dim', '64')),
    'nca': Row(NCA, PK),
    'multisimilarity': Row(MultiSimilarity, PK + ('--embed-dim', '64')),
    'multisimilarity-official': Row(MultiSimilarity, PK + ('--embed-dim', '64', '--ms-official')),
    'prototype': Row(Prototype, LR + ('--nc', '8', '--ns', '3', '--nq', '3',
                                      '--iteration-per-epoch', '25')),
    'rankedlist': Row(RankedList, ('--batch-k', '3', '--iteration-per-epoch', '30') + LR + (
        '--bottleneck-layers', '128'), batch_size=60),
    'sst': Row(SST, LR + ('--embed-dim', '64', '--logfile', 'train_sst.log'),
               check=clusters_rebuilt_every_epoch),
    # The script's defaults otherwise: NMI, the model file and the log are written.
    'triplet-semihard': Row(TripletSemiHard, LR + ('--steps', '0'), epochs=4, gain=3,
                            check=records_model_and_log_are_written, quick=False),
}


@pytest.mark.parametrize('row', ROWS.values(), ids=ROWS.keys())
def test_miniature_run_raises_recall(row, glyph_root, tmp_path):
    before, after, summary = miniature_run(row.script(), glyph_root, tmp_path, *row.options,
                                           epochs=row.epochs, batch_size=row.batch_size,
                                           quick=row.quick)
    assert after > before + row.gain
    if row.check is not None:
        row.check(tmp_path, summary)

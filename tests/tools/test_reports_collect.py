"""common.tools.reports.collect reads manifests and run records written as the training scripts do
(by the helpers of report_records.py)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from common.tools.reports import collect_runs
from common.tools.reports.collect import RUN_COLUMNS
from report_records import metrics_of, run_record, write_invocation
from script_runs import ROOT


@pytest.fixture
def results(tmp_path):
    """A results folder: a command run twice (appended), a repeated run record, a running job."""
    folder = str(tmp_path / 'results')
    write_invocation(folder, 'train_margin', 'inv-old',
                     [metrics_of(10.0), metrics_of(11.0), metrics_of(12.0)])
    write_invocation(folder, 'train_margin', 'inv-new', records=[
        run_record('inv-new', 1, metrics_of(20.0)), run_record('inv-new', 2, metrics_of(40.0)),
        run_record('inv-new', 1, metrics_of(30.0), seed=7, best_epoch=9)])
    with open(os.path.join(folder, 'train_margin.jsonl'), 'a') as f:  # no invocation id
        f.write(json.dumps({'kind': 'run', 'run': 2, 'best': metrics_of(99.0)}) + '\n')
    write_invocation(os.path.join(folder, 'proxy'), 'train_proxy_nca', 'inv-proxy',
                     [metrics_of(50.0), metrics_of(52.0, nmi=None)], script='proxy',
                     dataset='cub', status='running', extra_args={'loss': 'nca'})
    return folder


def test_collect_keeps_the_manifest_invocation_and_the_last_record_of_a_run(results):
    runs = collect_runs(results)
    margin = runs[runs['script'] == 'margin'].sort_values('run')
    assert list(margin['invocation']) == ['inv-new', 'inv-new']
    assert list(margin['run']) == [1, 2]
    assert list(margin['R@1']) == [30.0, 40.0]  # the repeated run 1 keeps its last record
    assert list(margin['seed']) == [7, 102]
    assert list(margin['best_epoch']) == [9, 3]
    assert not {10.0, 11.0, 12.0, 99.0} & set(runs['R@1'])


def test_collect_columns_and_values(results):
    runs = collect_runs([results])
    assert list(runs.columns) == RUN_COLUMNS + ['R@1', 'R@2', 'NMI', 'MAP@R']
    assert len(runs) == 4
    proxy = runs[runs['script'] == 'proxy'].sort_values('run')
    assert list(proxy['variant']) == ['nca', 'nca']
    assert set(runs['dataset']) == {'CUB'}  # 'cub' normalised
    assert list(proxy['status']) == ['running', 'running']  # unfinished runs are kept
    assert proxy['NMI'].isna().tolist() == [False, True]
    row = runs[runs['script'] == 'margin'].iloc[0]
    assert (row['model'], row['embed_dim'], row['batch_size'], row['selection']) == \
        ('inception-bn', 64, 80, 'test')
    assert row['command'].startswith('python train_margin.py ')
    assert row['manifest'] == os.path.join(results, 'train_margin.manifest.json')
    assert row['R@2'] == 35.0


def test_collect_accepts_manifest_files(results):
    path = os.path.join(results, 'proxy', 'train_proxy_nca.manifest.json')
    runs = collect_runs([path])
    assert list(runs['R@1']) == [50.0, 52.0]
    np.testing.assert_allclose(runs['MAP@R'], [20.0, 20.0])


def test_missing_folder_is_named(tmp_path):
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(ValueError, match='nowhere: no such file or folder'):
        collect_runs([missing])


def test_folder_without_manifests_is_named(tmp_path):
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'empty' / 'train_x.log').write_text('a log, no manifest\n')
    with pytest.raises(ValueError, match='empty.*--results-dir'):
        collect_runs(str(tmp_path / 'empty'))


def test_unreadable_manifest_is_named(tmp_path):
    (tmp_path / 'train_x.manifest.json').write_text('{"invocation": ')
    with pytest.raises(ValueError, match='train_x.manifest.json: unreadable manifest'):
        collect_runs(str(tmp_path))


def test_missing_jsonl_is_named_and_a_torn_line_is_skipped_with_a_warning(tmp_path):
    path = write_invocation(str(tmp_path), 'train_y', 'inv', [metrics_of(1.0)])
    with open(path.replace('.manifest.json', '.jsonl'), 'a') as f:
        f.write('{"kind": "run", \n')
    with pytest.warns(UserWarning, match=r'train_y.jsonl line 5: not JSON'):
        assert len(collect_runs(str(tmp_path))) == 1
    os.remove(path.replace('.manifest.json', '.jsonl'))
    with pytest.raises(ValueError, match='train_y.jsonl: unreadable run records'):
        collect_runs(str(tmp_path))


def test_reports_do_not_import_mxnet_or_training():
    # A fresh interpreter: in this one other tests may have imported MXNet already.
    code = ('import sys; import common.tools.reports, common.tools.reports.plots; '
            'bad = [m for m in sys.modules if m.startswith(("mxnet", "common.training"))]; '
            'sys.exit(str(bad) if bad else 0)')
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_batchnorm_mode_is_a_column_and_older_records_trained_it(tmp_path):
    folder = str(tmp_path / 'results')
    write_invocation(folder, 'train_margin', 'inv-old', [metrics_of(10.0)])
    write_invocation(folder, 'train_margin_frozen', 'inv-frozen', [metrics_of(20.0)],
                     batchnorm='frozen')
    runs = collect_runs(folder).set_index('invocation')
    assert runs.loc['inv-old', 'batchnorm'] == 'train'  # written before --frozen-bn existed
    assert runs.loc['inv-frozen', 'batchnorm'] == 'frozen'
    # The option leaves the setting's fingerprint to the column: the two differ in it only.
    assert runs.loc['inv-old', 'config'] == runs.loc['inv-frozen', 'config']


def test_the_reports_command_without_a_known_subcommand_prints_its_usage(capsys):
    from common.tools.reports.__main__ import main
    usage = 'usage: python -m common.tools.reports {leaderboard,plots} ...'
    main(['--help'])
    assert capsys.readouterr().out.startswith(usage)
    for argv in ([], ['table']):
        with pytest.raises(SystemExit) as error:
            main(argv)
        assert str(error.value).startswith(usage)


@pytest.mark.parametrize('inner, variant', [(0, 'no expansion'), (2, '')])
def test_hphn_without_inner_points_is_its_own_method(tmp_path, inner, variant):
    write_invocation(str(tmp_path), 'train_hphn_ee', 'inv', [metrics_of(60.0)],
                     script='hphn_ee', extra_args={'n_inner_pts': inner})
    assert list(collect_runs(str(tmp_path))['variant']) == [variant]


def test_an_option_added_later_at_none_does_not_split_a_configuration(tmp_path):
    write_invocation(str(tmp_path), 'train_margin_old', 'inv-old', [metrics_of(60.0)])
    write_invocation(str(tmp_path), 'train_margin_new', 'inv-new', [metrics_of(62.0)],
                     extra_args={'val_fold': None, 'tuned': None})
    write_invocation(str(tmp_path), 'train_margin_other', 'inv-other', [metrics_of(50.0)],
                     extra_args={'val_fold': [1, 4]})
    runs = collect_runs(str(tmp_path)).set_index('invocation')
    assert runs.loc['inv-old', 'config'] == runs.loc['inv-new', 'config']
    assert runs.loc['inv-old', 'config'] != runs.loc['inv-other', 'config']

"""Read the training scripts' run records from disk into one table, one row per run.

Each script invocation leaves ``<stem>.manifest.json`` (what was run, how,
and whether it finished) beside ``<stem>.jsonl`` (its records, possibly
after those of earlier invocations of the same command). Only files are read
here, so reports work without MXNet and on copies of a results folder.
"""
import hashlib
import json
import os

import pandas as pd

from ...records import MANIFEST_SUFFIX, jsonl_path, read_manifest, read_records
from .published import normalise_dataset

RUN_COLUMNS = ['script', 'variant', 'dataset', 'model', 'embed_dim', 'batchnorm', 'batch_size',
               'selection',
               'config', 'status', 'invocation', 'run', 'seed', 'best_epoch', 'command',
               'manifest']
# Options that leave the computed numbers alone (or that the runs of one setting differ in);
# all other options make up a setting's ``config`` fingerprint, so that runs of different
# settings (another learning rate, say) are never averaged together.
NOT_CONFIG = frozenset({'seed', 'number_of_runs', 'resume', 'num_workers', 'gpus', 'kvstore',
                        'results_dir', 'logfile', 'log_postfix', 'data_path', 'checkpoint_every',
                        'save_embeddings', 'save_model_prefix', 'skip_pretrain_validation',
                        'nmi', 'tuned',  # the study's name: the tuned options are config
                        # the BatchNorm mode has a column of its own, 'batchnorm'
                        'frozen_bn', 'frozen_bn_affine'})
# Manifests written before --frozen-bn existed trained BatchNorm as the playground does.
DEFAULT_BATCHNORM = 'train'
# Scripts whose option picks one of several losses, reported as separate methods.
VARIANT_OPTIONS = {'proxy': 'loss', 'loop': 'loss'}
# Settings that turn a script into another, named method: script -> (option, value, name).
NAMED_SETTINGS = {'hphn_ee': ('n_inner_pts', 0, 'no expansion')}


def find_manifests(paths):
    """Manifest files named in ``paths`` or found (recursively) in the folders among them."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    found = []
    for path in map(str, paths):
        if os.path.isdir(path):
            for folder, _, names in sorted(os.walk(path)):
                found += [os.path.join(folder, n) for n in sorted(names)
                          if n.endswith(MANIFEST_SUFFIX)]
        elif os.path.isfile(path):
            if not path.endswith(MANIFEST_SUFFIX):
                raise ValueError('%s: not a manifest; give a results folder or a *%s file'
                                 % (path, MANIFEST_SUFFIX))
            found.append(path)
        else:
            raise ValueError('%s: no such file or folder' % path)
    if not found:
        raise ValueError('no *%s in %s; the training scripts write them into their --results-dir'
                         % (MANIFEST_SUFFIX, ', '.join(map(str, paths))))
    return found


def config_fingerprint(args):
    """A short hash of the options that change results. An option at None is left out: a
    later version's new options default to None (unused), and old records lack them."""
    setting = {k: v for k, v in args.items() if k not in NOT_CONFIG and v is not None}
    text = json.dumps(setting, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def invocation_fields(manifest_path, manifest):
    """The columns shared by all runs of one invocation."""
    args = manifest.get('args') or {}
    dataset = (manifest.get('dataset') or {}).get('name') or args.get('dataset')
    variant_option = VARIANT_OPTIONS.get(manifest['script'])
    command = manifest.get('command') or ' '.join(map(str, manifest.get('argv') or []))
    variant = str(args.get(variant_option) or '') if variant_option else ''
    option, value, name = NAMED_SETTINGS.get(manifest['script'], (None, None, None))
    if option is not None and args.get(option) == value:
        variant = '/'.join(v for v in (variant, name) if v)
    if args.get('epochs') == 0:  # the untrained network, a baseline: never mixed with training
        variant = '/'.join(v for v in (variant, 'no training') if v)
    return {'script': manifest['script'], 'variant': variant,
            'dataset': normalise_dataset(dataset), 'model': args.get('model'),
            'embed_dim': args.get('embed_dim'),
            'batchnorm': manifest.get('batchnorm') or DEFAULT_BATCHNORM,
            'batch_size': args.get('batch_size'),
            'selection': manifest.get('selection'), 'config': config_fingerprint(args),
            'status': manifest.get('status'),
            'invocation': manifest['invocation'], 'command': command,
            'manifest': manifest_path}


def manifest_rows(manifest_path):
    """One row per run of the manifest's invocation, with the metrics of its selected epoch."""
    manifest = read_manifest(manifest_path, required=('invocation', 'script'))
    shared = invocation_fields(manifest_path, manifest)
    # By run number: a run recorded twice (resumed after its record was written) keeps the last.
    records = {record.get('run'): record for record in read_records(
        jsonl_path(manifest_path, manifest), 'run', manifest['invocation'])}
    rows = []
    for run in sorted(records, key=lambda r: (r is None, r)):
        record = records[run]
        row = dict(shared, run=run, seed=record.get('seed'), best_epoch=record.get('best_epoch'))
        # A run record names the split that chose its epoch; a tuned invocation's rows stay
        # 'tuned' (its options were chosen by a study), whichever split chose the epoch.
        if shared['selection'] != 'tuned':
            row['selection'] = record.get('selection') or shared['selection']
        row.update(record.get('best') or {})
        rows.append(row)
    return rows


def metric_order(name):
    """R@k by k, then NMI, MAP@R, then anything else alphabetically."""
    if name.startswith('R@') and name[2:].isdigit():
        return (0, int(name[2:]), '')
    return (1, {'NMI': 0, 'MAP@R': 1}.get(name, 2), name)


def collect_runs(paths):
    """All runs recorded under ``paths`` (folders or manifest files) as a DataFrame."""
    rows = [row for path in find_manifests(paths) for row in manifest_rows(path)]
    metrics = sorted({k for row in rows for k in row} - set(RUN_COLUMNS), key=metric_order)
    return pd.DataFrame(rows, columns=RUN_COLUMNS + metrics)


def load_runs(parser, paths, finished_only=False):
    """The runs recorded under ``paths`` for a command line, or ``parser.error`` saying why
    there are none."""
    try:
        runs = collect_runs(paths)
    except ValueError as e:
        parser.error(str(e))
    if finished_only:
        runs = runs[runs['status'] == 'finished']
    if runs.empty:
        parser.error('no %sruns recorded in %s%s' % (
            'finished ' if finished_only else '', ', '.join(map(str, paths)),
            '; drop --finished-only to include running or failed invocations'
            if finished_only else ''))
    return runs


def add_records_arguments(parser):
    """The options of every command that reads records: where, and which invocations."""
    parser.add_argument('paths', nargs='+', metavar='RESULTS_DIR',
                        help='results folders (searched recursively) or *.manifest.json files')
    parser.add_argument('--finished-only', action='store_true',
                        help='only invocations whose status is "finished"')


def parse_records_command(parser, argv):
    """The options of a command made with :func:`add_records_arguments`, and the runs they
    name (or ``parser.error`` saying why there are none)."""
    args = parser.parse_args(argv)
    return args, load_runs(parser, args.paths, args.finished_only)

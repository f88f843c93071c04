"""Manifests and run records written as the training scripts write them, for the report tests."""
import json
import os


def run_record(invocation, run, best, seed=None, best_epoch=3, selection='test'):
    return {'kind': 'run', 'invocation': invocation, 'time': '2026-11-24T00:20:00', 'run': run,
            'seed': 100 + run if seed is None else seed, 'best_epoch': best_epoch,
            'selection': selection, 'best': best, 'last': best, 'pretrain': None}


def write_invocation(folder, stem, invocation, metrics=(), records=None, script='margin',
                     dataset='CUB', model='inception-bn', embed_dim=64, batch_size=80,
                     status='finished', selection='test', extra_args=None, seed=1,
                     batchnorm=None, tuning=None, run_selection=None):
    """Append one invocation's records to <stem>.jsonl and (re)write <stem>.manifest.json.

    ``metrics`` holds the best-epoch metrics of runs 1, 2, ...; ``records`` replaces the
    generated run records (e.g. to repeat a run number); ``batchnorm`` is the mode a
    manifest records (None: none, as before --frozen-bn existed); ``tuning`` the study of a
    tuned run ({'study', 'trials', 'folds'}). The run records name the split that chose the
    epoch, as the runner writes them (``run_selection``; by default ``selection``, and
    'test' for a tuned run). Returns the manifest path.
    """
    os.makedirs(folder, exist_ok=True)
    args = dict(dataset=dataset, model=model, embed_dim=embed_dim, batch_size=batch_size,
                seed=seed, number_of_runs=len(metrics), **(extra_args or {}))
    if batchnorm is not None:
        args.update(frozen_bn=batchnorm != 'train', frozen_bn_affine=batchnorm == 'frozen-affine')
    argv = ['train_%s.py' % script] + ['--%s=%s' % (k.replace('_', '-'), v)
                                       for k, v in sorted(args.items())]
    command = 'python ' + ' '.join(argv)
    if run_selection is None:
        run_selection = 'test' if selection == 'tuned' else selection
    if records is None:
        records = [run_record(invocation, i, best, selection=run_selection)
                   for i, best in enumerate(metrics, 1)]
    lines = ([{'kind': 'config', 'invocation': invocation, 'script': script, 'args': args},
              {'kind': 'epoch', 'invocation': invocation, 'run': 1, 'epoch': 0,
               'metrics': {'R@1': 1.0}}]
             + records + [{'kind': 'summary', 'invocation': invocation, 'runs': len(records)}])
    with open(os.path.join(folder, stem + '.jsonl'), 'a') as f:
        f.writelines(json.dumps(line) + '\n' for line in lines)
    manifest = {'invocation': invocation, 'script': script, 'script_file': argv[0],
                'command': command, 'argv': argv, 'args': args,
                'dataset': {'name': dataset, 'splits': {'train': {'classes': 3, 'images': 30},
                                                        'test': {'classes': 3, 'images': 30}}},
                'selection': selection, 'status': status,
                'files': {'log': stem + '.log', 'jsonl': stem + '.jsonl',
                          'manifest': stem + '.manifest.json'},
                'git': 'abc123', 'versions': {}, 'hardware': {}, 'started': '', 'finished': ''}
    if batchnorm is not None:
        manifest['batchnorm'] = batchnorm
    if tuning is not None:
        manifest['tuning'] = tuning
    path = os.path.join(folder, stem + '.manifest.json')
    with open(path, 'w') as f:
        json.dump(manifest, f)
    return path


def metrics_of(recall1, nmi=60.0, map_r=20.0):
    return {'R@1': recall1, 'R@2': recall1 + 5, 'NMI': nmi, 'MAP@R': map_r}


def write_two_modes(folder):
    """Margin and a baseline in both BatchNorm modes (the trained ones recorded before the
    option existed), and N-pairs frozen only; returns ``folder``."""
    write_invocation(folder, 'train_margin', 'i1', [metrics_of(r) for r in (50.0, 52.0)])
    write_invocation(folder, 'train_margin_frozen', 'i2', [metrics_of(r) for r in (70.0, 74.0)],
                     batchnorm='frozen')
    write_invocation(folder, 'train_base', 'i3', [metrics_of(60.0)], extra_args={'epochs': 0})
    write_invocation(folder, 'train_base_frozen', 'i4', [metrics_of(60.0)],
                     extra_args={'epochs': 0}, batchnorm='frozen')
    write_invocation(folder, 'train_npairs', 'i5', [metrics_of(65.0)], script='npairs',
                     batchnorm='frozen')
    return folder

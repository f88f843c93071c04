"""The CPU benchmark: every algorithm script on font glyphs with a pretrained backbone.

    python -m common.tools.kanji_benchmark run     # every script, resumable (hours on 2 cores)
    python -m common.tools.kanji_benchmark run --scripts margin,proxy_nca --dry-run
    python -m common.tools.kanji_benchmark report  # leaderboard (.md, .csv) and bar chart
    python -m common.tools.kanji_benchmark tuned   # tuned rows beside the default ones

The protocol fits a 2-core CPU: ImageNet-pretrained EfficientNet-Lite0 at 64 px,
64-d embeddings, the first ``CLASSES`` JIS level-1 kanji (the first half trains,
the second half tests, as CUB's 100/100), ``VAL_CLASSES`` of the training
classes held out to choose the epoch, a fixed budget of ``EPOCHS`` epochs of
about ``EPOCH_IMAGES`` images each, the learning rate decayed once at
``DECAY_EPOCH``. Every script keeps its own loss, sampler, optimiser and
learning rates (its published recipe); only the budget, backbone, image size and
embedding size are shared, and batch sizes that would exceed the data. The
design-card scripts run ``DESIGN_SEEDS`` seeds, the others one. Each run is an
ordinary invocation of its script whose records land in ``--results-dir``;
``report`` reads only those records.
"""
import argparse
import glob
import os

from .run_commands import exit_if_failed, run_commands

CLASSES = 200
VAL_CLASSES = 20
EPOCHS = 4
DECAY_EPOCH = 3
EPOCH_IMAGES = 6150  # the 80 training classes' images: batch-sampled epochs match passes
DESIGN_SEEDS = 3
RESULTS_DIR = os.path.join('results', 'benchmark_kanji')
DESIGN_CARD = ('triplet_semihard', 'margin', 'proxy_nca', 'angular', 'rankedlistloss',
               'hphn_ee', 'dr')

SHARED = ['--dataset', 'kanji', '--model', 'efficientnet-lite0', '--image-size', '64',
          '--embed-dim', '64', '--epochs', str(EPOCHS), '--steps', str(DECAY_EPOCH),
          '--save-model-prefix', 'none', '--num-workers', '2']


def iterations(batch):
    return str(max(1, round(EPOCH_IMAGES / batch)))


# name -> (script file, the options specific to it). Batches per epoch follow from
# EPOCH_IMAGES; batch sizes are the scripts' defaults unless noted.
ENTRIES = {
    'triplet_semihard': ('train_triplet_semihard.py', []),
    'margin': ('train_margin.py', ['--iteration-per-epoch', iterations(125)]),
    'proxy_nca': ('train_proxy.py', ['--loss', 'nca']),
    'angular': ('train_angular.py', ['--epoch-length', iterations(128)]),
    'rankedlistloss': ('train_rankedlistloss.py', ['--iteration-per-epoch', iterations(180)]),
    # The official recipe's epochs are C x K / B batches; here they are the shared budget.
    'hphn_ee': ('train_hphn_ee.py', ['--iteration-per-epoch', iterations(128),
                                     '--eval-every', '1']),
    # Plain HPHN triplet: the same script without Embedding Expansion's inner points.
    'hphn': ('train_hphn_ee.py', ['--iteration-per-epoch', iterations(128), '--eval-every', '1',
                                  '--n-inner-pts', '0']),
    # LoOp's optimal hard negatives in HPHN triplet loss: the third HPHN variant.
    'loop_hphn': ('train_loop.py', ['--loss', 'hphn-triplet', '--iteration-per-epoch',
                                    iterations(128), '--eval-every', '1']),
    'dr': ('train_dr.py', ['--loss', 'triplet', '--iteration-per-epoch', iterations(80)]),
    'liftedstruct': ('train_liftedstruct.py', []),
    'npairs': ('train_npairs.py', ['--epoch-length', iterations(128)]),
    'contrastive': ('train_contrastive.py', ['--iteration-per-epoch', iterations(80)]),
    'binomial': ('train_binomial.py', ['--iteration-per-epoch', iterations(80)]),
    'nca': ('train_nca.py', ['--iteration-per-epoch', iterations(80)]),
    'multisimilarity': ('train_multisimilarity.py', ['--iteration-per-epoch', iterations(80)]),
    'sst': ('train_sst.py', []),
    'clusterloss': ('train_clusterloss.py', []),
    'prototype': ('train_prototype.py', ['--iteration-per-epoch', iterations(120)]),
    'normproxy': ('train_normproxy.py', []),
    'proxy_triplet': ('train_proxy.py', ['--loss', 'triplet']),
    # Members share the budget: 4 members x 1 epoch of 16 meta-classes (a 64-d ensemble).
    'dreml': ('train_dreml.py', ['-L', '4', '-D', '16', '--epochs', '1', '--steps', '0']),
    'discriminative': ('train_discriminative.py', []),
    # The baseline: the pretrained backbone and the head's random 64-d projection, untrained.
    'no_training': ('train_triplet_semihard.py', ['--epochs', '0', '--steps', '0']),
}
# Entries run with DESIGN_SEEDS seeds (plain HPHN and LoOp beside HPHN + EE); the baseline's
# are cheap (two evaluations each).
MULTI_SEED = DESIGN_CARD + ('hphn', 'loop_hphn', 'no_training')
# Entries whose records would otherwise share a file stem with another entry's.
LOG_POSTFIX = {'no_training': 'kanji_no_training', 'hphn': 'kanji_no_expansion'}


# The smoke version: 24 classes (10 train, 2 validation, 12 test), one epoch of two batches,
# batches of a few classes (K images each for the P x K samplers).
SMOKE_CLASSES = ['--num-classes', '24', '--val-classes', '2']
SMOKE_BATCH = {'margin': 20, 'rankedlistloss': 12, 'hphn_ee': 16, 'hphn': 16,
               'loop_hphn': 16, 'dr': 20, 'contrastive': 20,
               'binomial': 20, 'nca': 20, 'multisimilarity': 20}
SMOKE_OPTIONS = {'prototype': ['--nc', '3', '--ns', '1', '--nq', '1'],
                 'hphn_ee': ['--batch-k', '4'], 'hphn': ['--batch-k', '4'],
                 'loop_hphn': ['--batch-k', '4'],
                 'dreml': ['-L', '2', '-D', '4']}


# The second BatchNorm mode: the same entries with the backbone's BatchNorm frozen.
FROZEN_BN = ['--frozen-bn']
FROZEN_POSTFIX = '_frozen_bn'


def commands(names, results_dir, smoke=False, frozen_bn=False):
    """``(name, argv)`` of each entry: the protocol, or its smoke version (a few classes,
    one short epoch, one seed); ``frozen_bn`` adds ``--frozen-bn`` (records apart)."""
    data = SMOKE_CLASSES if smoke else ['--num-classes', str(CLASSES), '--val-classes',
                                        str(VAL_CLASSES)]
    out = []
    for name in names:
        script, options = ENTRIES[name]
        seeds = 1 if smoke or name not in MULTI_SEED else DESIGN_SEEDS
        argv = [script] + SHARED + data + options + [
            '--number-of-runs', str(seeds), '--seed', '1', '--results-dir', results_dir,
            '--log-postfix', LOG_POSTFIX.get(name, 'kanji') + (FROZEN_POSTFIX if frozen_bn
                                                               else '')]
        argv += FROZEN_BN if frozen_bn else []
        if smoke:
            argv = shrink(argv) + ['--batch-size', str(SMOKE_BATCH.get(name, 16))] + \
                SMOKE_OPTIONS.get(name, [])
        out.append((name, argv))
    return out


def shrink(argv):
    """One epoch of two batches (the later of repeated options wins, as in argparse); the
    untrained baseline stays untrained and keeps the evaluation that is its result."""
    untrained = argv[len(argv) - 1 - argv[::-1].index('--epochs') + 1] == '0'
    small = {'--epochs': '0' if untrained else '1', '--iteration-per-epoch': '2',
             '--epoch-length': '2', '--steps': '0'}
    argv = [small.get(argv[i - 1], a) if i else a for i, a in enumerate(argv)]
    return argv + ([] if untrained else ['--skip-pretrain-validation']) + ['--no-nmi']


def parse_names(parser, text):
    names = [n for n in (text or '').split(',') if n] or list(ENTRIES)
    unknown = [n for n in names if n not in ENTRIES]
    if unknown:
        parser.error('--scripts %s: unknown; choose among %s' % (','.join(unknown),
                                                                ','.join(ENTRIES)))
    return names


def build_parser():
    p = argparse.ArgumentParser(prog='python -m common.tools.kanji_benchmark',
                                description=__doc__.split('\n')[0])
    p.add_argument('action', choices=('run', 'report', 'tuned'))
    p.add_argument('--scripts', help='comma-separated entries (default: all): %s'
                   % ','.join(ENTRIES))
    p.add_argument('--results-dir', default=RESULTS_DIR, help='where the records go')
    p.add_argument('--out', help='report, tuned: writes <out>.md, <out>.csv and <out>.png/pdf '
                                 '(default: %s, %s)' % (REPORT_OUT, TUNED_OUT))
    p.add_argument('--tuned-dir', default=TUNE_DIR,
                   help='tuned: the folder of the tuning studies, whose <study>/final/ records '
                        'are compared with the same methods\' rows in --results-dir')
    p.add_argument('--smoke', action='store_true', help='a few classes, one short epoch')
    p.add_argument('--frozen-bn', action='store_true',
                   help="run: the entries with the backbone's BatchNorm frozen (records "
                        "*%s beside the training-mode ones)" % FROZEN_POSTFIX)
    p.add_argument('--dry-run', action='store_true', help='run: print the commands only')
    return p


METRICS = ('R@1', 'NMI', 'MAP@R')
REPORT_OUT = os.path.join('results', 'benchmark_kanji_leaderboard')
TUNED_OUT = os.path.join('results', 'benchmark_kanji_tuned')
TUNE_DIR = os.path.join('results', 'tune_kanji')


def report(results_dir, out):
    """``<out>.md``: the BatchNorm modes side by side per method, then every row with its
    command; ``<out>.csv``: the side-by-side table; ``<out>.png``/``.pdf``: its R@1 bars
    with the untrained baseline as a line. Returns the paths."""
    import argparse

    from .reports.collect import load_runs
    from .reports.leaderboard import (
        leaderboard,
        side_by_side,
        side_by_side_markdown,
        to_markdown,
    )
    parser = argparse.ArgumentParser(prog='python -m common.tools.kanji_benchmark report')
    runs = load_runs(parser, [results_dir], finished_only=True)
    table = leaderboard(runs, METRICS, include_published=False)
    wide, modes = side_by_side(table, 'batchnorm', METRICS)
    text = ('# The CPU benchmark: kanji, EfficientNet-Lite0, 64-d, by BatchNorm mode\n\n'
            'Test split at the epoch chosen on the held-out validation classes; mean ± sample '
            'std over runs ("runs" per mode). BatchNorm "train" is the playground\'s (batch '
            'statistics); "frozen" is `--frozen-bn` (moving statistics, gamma and beta train). '
            'The commands are in the second part.\n\n'
            + side_by_side_markdown(wide, modes, METRICS)
            + '\n# Every row with its command\n\n' + to_markdown(table))
    return write_report(out, text, wide, modes)


def write_report(out, text, wide, values, **chart):
    """``<out>.md`` (``text``, also printed), ``<out>.csv`` (the side-by-side table ``wide``)
    and its R@1 bar chart ``<out>.png``/``.pdf``; returns the paths."""
    from .reports.plots import side_by_side_chart
    os.makedirs(os.path.dirname(out) or '.', exist_ok=True)
    with open(out + '.md', 'w') as f:
        f.write(text)
    wide.to_csv(out + '.csv', index=False)
    side_by_side_chart(wide, values, out, **chart)
    print(text)
    return [out + '.md', out + '.csv', out + '.png', out + '.pdf']


def tuned_report(parser, results_dir, tuned_dir, out):
    """``<out>.md``: each tuned method's default-recipe and tuned rows side by side, the
    R@1 ranking under each and the options the studies changed, then every row with its
    command; ``<out>.csv``: the side-by-side table; ``<out>.png``/``.pdf``: its R@1 bars."""
    from .reports.collect import load_runs
    from .reports.leaderboard import side_by_side_markdown, to_markdown
    from .reports.tuned import changes_markdown, compare
    finals = sorted(glob.glob(os.path.join(tuned_dir, '*', 'final')))
    if not finals:
        parser.error('--tuned-dir %s: no <study>/final/ folder; run python -m '
                     'common.tools.tune best --final-runs N first' % tuned_dir)
    try:
        runs, table, wide, values = compare(load_runs(parser, [results_dir] + finals,
                                                      finished_only=True), METRICS)
    except ValueError as e:
        parser.error(str(e))
    text = ('# The CPU benchmark tuned: kanji, EfficientNet-Lite0, 64-d\n\n'
            'Test split at the epoch chosen on the held-out validation classes; mean ± sample '
            'std over runs ("runs": default / tuned). "default" is the script\'s published '
            'recipe (the benchmark\'s rows in %s); "tuned" trains the options that `python -m '
            'common.tools.tune` chose on validation classes (never the test split), under the '
            'same protocol. The second part gives the ranking under each and the options the '
            'studies changed; the third every row with its command.\n\n' % results_dir
            + side_by_side_markdown(wide, values, METRICS, column_title='options')
            + '\n# Ranking by R@1 and the options tuned\n\n' + changes_markdown(runs, wide)
            + '\n# Every row with its command\n\n' + to_markdown(table))
    return write_report(out, text, wide, values, column_title='options',
                        per='method, default-recipe and tuned options')


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.action == 'report':
        return report(args.results_dir, args.out or REPORT_OUT)
    if args.action == 'tuned':
        return tuned_report(parser, args.results_dir, args.tuned_dir, args.out or TUNED_OUT)
    names = parse_names(parser, args.scripts)
    try:
        failed = run_commands(commands(names, args.results_dir, args.smoke, args.frozen_bn),
                              args.results_dir, args.dry_run)
    except ValueError as e:  # an unreadable manifest among the records
        parser.error(str(e))
    exit_if_failed(failed, len(names), args.results_dir, 'benchmark entries')


if __name__ == '__main__':
    main()

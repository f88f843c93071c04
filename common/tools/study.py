"""Run an embedding-size or batch-size study of one training script.

    python -m common.tools.study embed-dim --script train_margin.py --values 64,128,256,512 \
        --seeds 3 --results-dir results/studies/margin_cub -- --dataset CUB --data-path ...

runs the script once per value (``--number-of-runs`` = seeds, so each point
has a mean and std), each invocation with its own records in
``--results-dir`` (``train_<name>_<study>_<value>.*``). Arguments after
``--`` go to every invocation. Points whose manifest says finished with the
same command are skipped and unfinished ones resume (``--resume``), so an
interrupted study is continued by running the same command again. Then
``python -m common.tools.reports.plots <results-dir> --kind embedding-size``
(or ``batch-size``) draws it.
"""
import argparse
import os

from .run_commands import exit_if_failed, run_commands
from .script_argv import parse_with_script_options

# The option each study varies, and the word used in record names.
STUDIES = {'embed-dim': ('--embed-dim', 'embed'), 'batch-size': ('--batch-size', 'batch')}


def positive_ints(text):
    try:
        values = [int(v) for v in text.split(',') if v.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError('expected positive integers separated by commas, '
                                         'e.g. 64,128,256 (got %r)' % text)
    return values


def build_parser():
    p = argparse.ArgumentParser(prog='python -m common.tools.study',
                                description=__doc__.split('\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('study', choices=sorted(STUDIES), help='the option to vary')
    p.add_argument('--script', required=True, help='training script, e.g. train_margin.py')
    p.add_argument('--values', type=positive_ints, required=True,
                   help='comma-separated values of the option')
    p.add_argument('--seeds', type=int, default=3, help='runs (seeds) per value')
    p.add_argument('--seed', type=int, default=1, help='seed of the first run')
    p.add_argument('--results-dir', required=True, help='folder for the records of the study')
    p.add_argument('--dry-run', action='store_true', help='print the commands only')
    p.epilog = 'Options after -- go to every run (dataset, model, schedule ...).'
    return p


def point_commands(args):
    """(postfix, argv) per value."""
    option, word = STUDIES[args.study]
    extra = args.script_args
    clash = {option, '--number-of-runs', '--seed', '--results-dir', '--log-postfix'} & set(extra)
    if clash:
        raise ValueError('%s: the study sets these options itself; remove them after --'
                         % ', '.join(sorted(clash)))
    commands = []
    for value in args.values:
        postfix = '%s%d' % (word, value)
        commands.append((postfix, [args.script] + extra + [
            option, str(value), '--number-of-runs', str(args.seeds), '--seed', str(args.seed),
            '--results-dir', args.results_dir, '--log-postfix', postfix]))
    return commands


def parse_args(parser, argv):
    """The study's own options, and the script's (everything after ``--``) as
    ``args.script_args``."""
    return parse_with_script_options(parser, argv, 'script_args')


def main(argv=None):
    parser = build_parser()
    args = parse_args(parser, argv)
    if not os.path.isfile(args.script):
        parser.error('--script %s: no such file; give the path of a train_*.py script'
                     % args.script)
    if args.seeds < 1:
        parser.error('--seeds must be at least 1')
    try:
        commands = point_commands(args)
        failed = run_commands(commands, args.results_dir, args.dry_run)
    except ValueError as e:  # options the study sets itself, or an unreadable manifest
        parser.error(str(e))
    exit_if_failed(failed, len(commands), args.results_dir, 'study points')


if __name__ == '__main__':
    main()

"""Running many training invocations one after another, resumably.

Studies and benchmarks are lists of training commands. Each command runs as
its own process with ``--resume``; one whose manifest in the results folder
records a finished run of the same command is skipped, so running the list
again continues where it stopped.
"""
import os
import subprocess
import sys

from ..records import MANIFEST_SUFFIX, read_manifest


def command_key(argv):
    """What identifies a command: the script's file name and its options, without --resume."""
    return (os.path.basename(argv[0]),) + tuple(str(a) for a in argv[1:] if a != '--resume')


def finished_commands(results_dir):
    """The keys of the commands whose manifests in ``results_dir`` say they finished; an
    unreadable manifest is a ValueError that names it."""
    done = set()
    if not os.path.isdir(results_dir):
        return done
    for name in sorted(os.listdir(results_dir)):
        if name.endswith(MANIFEST_SUFFIX):
            manifest = read_manifest(os.path.join(results_dir, name))
            if manifest.get('status') == 'finished' and manifest.get('argv'):
                done.add(command_key(manifest['argv']))
    return done


def run_commands(commands, results_dir, dry_run=False):
    """Run ``(name, argv)`` pairs not finished yet; returns the names of those that failed.
    An unreadable manifest in ``results_dir`` is a ValueError that names it."""
    failed, done = [], finished_commands(results_dir)
    for name, argv in commands:
        if command_key(argv) in done:
            print('done already: %s' % name, flush=True)
            continue
        full = [sys.executable] + list(argv) + ['--resume']
        print(' '.join(full), flush=True)
        if not dry_run and subprocess.call(full) != 0:
            failed.append(name)
    return failed


def exit_if_failed(failed, total, results_dir, what):
    """End the process with one line naming the failed ``what`` (points, entries)."""
    if failed:
        sys.exit('%d of %d %s failed (%s); their logs in %s say why; run the same command '
                 'again to resume them' % (len(failed), total, what, ', '.join(failed),
                                           results_dir))

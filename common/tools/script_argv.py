"""The tools' command lines: their own arguments, then ``--`` and a training script's."""
import sys


def split_argv(argv=None):
    """``(before, after)`` the first ``--`` of ``argv`` (default: the command line)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    cut = argv.index('--') if '--' in argv else len(argv)
    return argv[:cut], argv[cut + 1:]

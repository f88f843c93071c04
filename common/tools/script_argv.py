"""The tools' command lines: their own arguments, then ``--`` and a training script's."""
import sys


def split_argv(argv=None):
    """``(before, after)`` the first ``--`` of ``argv`` (default: the command line)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    cut = argv.index('--') if '--' in argv else len(argv)
    return argv[:cut], argv[cut + 1:]


def parse_with_script_options(parser, argv, dest):
    """``parser``'s options of the arguments before ``--``; those after it (the training
    script's) as the list ``args.<dest>``."""
    own, script_options = split_argv(argv)
    args = parser.parse_args(own)
    setattr(args, dest, script_options)
    return args

"""``python -m common.tools.reports leaderboard|plots ...``: both command lines under one name."""
import sys

from . import leaderboard, plots

COMMANDS = {'leaderboard': leaderboard.main, 'plots': plots.main}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    usage = ('usage: python -m common.tools.reports {%s} ... (-h for the options of each)'
             % ','.join(COMMANDS))
    if argv[:1] in (['-h'], ['--help']):  # asked for: printed, and no error
        print(usage)
        return None
    if not argv or argv[0] not in COMMANDS:
        sys.exit(usage)
    return COMMANDS[argv[0]](argv[1:])


if __name__ == '__main__':
    main()

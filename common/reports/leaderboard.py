"""``python -m common.reports.leaderboard``: an alias of
``python -m common.tools.reports.leaderboard``, kept so that recorded commands still run."""
from ..tools.reports.leaderboard import main

if __name__ == '__main__':
    main()

"""The old home of the reports, now :mod:`common.tools.reports`: only the command lines
``python -m common.reports``, ``common.reports.leaderboard`` and ``common.reports.plots`` are
kept here, as aliases, so that recorded commands still run."""

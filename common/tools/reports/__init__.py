"""Reports from the run records on disk: run table, leaderboard, plots.

Reads ``*.manifest.json`` and ``*.jsonl`` only (pandas, numpy, matplotlib);
it never imports MXNet or the training code, so it runs anywhere the
records are copied. The leaderboard and the plots are the submodules
:mod:`common.tools.reports.leaderboard` and :mod:`common.tools.reports.plots`;
they are not imported here, so that ``python -m common.tools.reports.leaderboard``
runs a module that was not imported before (and the function ``leaderboard``
does not hide the module of the same name).
"""
from .collect import collect_runs
from .published import normalise_dataset, published_results, published_study

__all__ = ['collect_runs', 'normalise_dataset', 'published_results', 'published_study']

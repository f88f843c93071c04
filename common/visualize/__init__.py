"""The old home of the visualisations, now :mod:`common.tools.visualize`: only the command
line ``python -m common.visualize`` is kept here, as an alias, so that recorded commands still
run."""

"""``python -m common.reports.plots``: an alias of
``python -m common.tools.reports.plots``, kept so that recorded commands still run."""
from ..tools.reports.plots import main

if __name__ == '__main__':
    main()

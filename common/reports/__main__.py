"""``python -m common.reports``: an alias of
``python -m common.tools.reports``, kept so that recorded commands still run."""
from ..tools.reports.__main__ import main

if __name__ == '__main__':
    main()

"""``python -m common.visualize``: an alias of
``python -m common.tools.visualize``, kept so that recorded commands still run."""
from ..tools.visualize.__main__ import main

if __name__ == '__main__':
    main()

"""``python -m common.study``: an alias of
``python -m common.tools.study``, kept so that recorded commands still run."""
from .tools.study import main

if __name__ == '__main__':
    main()

"""``python -m common.benchmark``: an alias of
``python -m common.tools.kanji_benchmark``, kept so that recorded commands still run."""
from .tools.kanji_benchmark import main

if __name__ == '__main__':
    main()

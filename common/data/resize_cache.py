"""``python -m common.data.resize_cache``: an alias of ``python -m common.tools.resize_cache``,
kept so that recorded commands still run. It runs the tool by its name instead of importing
it, so that the data package never imports the tools."""
import runpy

if __name__ == '__main__':
    runpy.run_module('common.tools.resize_cache', run_name='__main__', alter_sys=True)

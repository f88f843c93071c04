"""Datasets drawn from fonts, rendered once into a cache: no download needed.

* ``glyphs`` (:mod:`.glyphs`): the alphanumerics of the faces matplotlib ships;
* ``latin`` and ``kanji`` (:mod:`.font_sets`): the alphanumerics and the JIS level-1 kanji
  of the installed Debian font packages listed in ``packages/<name>.txt``, found by
  :mod:`.faces` and drawn by :mod:`.drawing`.

The real photo datasets (CUB, Cars196, SOP, In-Shop, folder) are the modules beside this
package.
"""
from .font_sets import load_kanji, load_latin
from .glyphs import load_glyphs

__all__ = ['load_glyphs', 'load_kanji', 'load_latin']

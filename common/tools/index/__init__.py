"""Image search with an exported model: embed a tree of images into a faiss index, add to
it, query it, and measure it.

``python -m common.tools.index build|add|query|evaluate`` (see :mod:`.__main__`). The
pieces: :mod:`.images` lists an image tree, :mod:`.embedder` embeds it in resumable
shards, :mod:`.faiss_index` builds the three index types, :mod:`.store` is the index
folder on disk, :mod:`.search` answers queries and :mod:`.recall` measures the index.
"""

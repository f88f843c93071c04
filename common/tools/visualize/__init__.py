"""Looking at the test embeddings a training run saved (``--save-embeddings``).

* :func:`retrieval_grid`: query images and their nearest neighbours, green or red;
* :func:`embedding_map`: a t-SNE map of the embeddings coloured by class.

Both read the ``.npz`` file of :mod:`common.evaluation.embeddings_file` (or an
:class:`~common.evaluation.embeddings_file.Embeddings` in memory).

Command line: ``python -m common.tools.visualize {grid,tsne} EMBEDDINGS.npz --out ...``.
Needs no MXNet; scikit-learn loads only when a map is drawn.

The functions are imported here eagerly: ``retrieval_grid`` and ``embedding_map`` share
their modules' names, and only an eager import keeps the package attribute the function.
"""
from .embedding_map import embedding_map
from .retrieval_grid import nearest_neighbours, retrieval_grid

__all__ = ['retrieval_grid', 'nearest_neighbours', 'embedding_map']

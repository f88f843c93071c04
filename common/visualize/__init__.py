"""Looking at the test embeddings a training run saved (``--save-embeddings``).

* :func:`retrieval_grid`: query images and their nearest neighbours, green or red;
* :func:`embedding_map`: a t-SNE map of the embeddings coloured by class;
* :func:`load_embeddings` / :func:`save_embeddings`: the ``.npz`` file between the two sides.

Command line: ``python -m common.visualize {grid,tsne} EMBEDDINGS.npz --out ...``.
Needs no MXNet; scikit-learn loads only when a map is drawn.

The functions are imported here eagerly: ``retrieval_grid`` and ``embedding_map`` share
their modules' names, and only an eager import keeps the package attribute the function.
"""
from ..evaluation.embeddings_file import (
    Embeddings,
    EmbeddingsFileError,
    load_embeddings,
    save_embeddings,
)
from .embedding_map import embedding_map
from .retrieval_grid import nearest_neighbours, retrieval_grid

__all__ = ['Embeddings', 'EmbeddingsFileError', 'load_embeddings', 'save_embeddings',
           'retrieval_grid', 'nearest_neighbours', 'embedding_map']

"""Searching an index: embedding query images, their k nearest indexed images, and the
leave-one-out search of the indexed images themselves."""
import numpy as np
from mxnet import nd

from ...data.decode import ImageReadError, read_image
from .faiss_index import prepare, to_distance


class QueryError(ValueError):
    """A query that cannot be answered (the message names the image)."""


def embed_images(net, transform, paths, batch_size=64):
    """(N, D) float32 embeddings of image files; a file that is not a readable image is a
    :class:`QueryError` naming it."""
    images = []
    for path in paths:
        try:
            images.append(transform(read_image(path)))
        except ImageReadError as e:
            raise QueryError('query %s' % e) from None
    out = [net(nd.array(np.stack(images[i:i + batch_size]))).asnumpy()
           for i in range(0, len(images), batch_size)]
    return np.concatenate(out).astype(np.float32)


def search(index, vectors, k, metric):
    """(ids, distances in the metric) of the k nearest indexed vectors of each row."""
    if vectors.shape[1] != index.d:
        raise QueryError('the queries are %d-d embeddings but the index holds %d-d ones: '
                         'query with the model the index was built with' % (vectors.shape[1],
                                                                            index.d))
    k = min(k, index.ntotal)
    squared, ids = index.search(prepare(vectors, metric), k)
    return ids, to_distance(squared, metric)


def search_others(index, vectors, k, metric, ids=None):
    """The k nearest *other* indexed vectors of the indexed vectors ``ids`` (default: all;
    ``vectors[i]`` is indexed as id i): one more is searched and each query's own id
    dropped (else, with duplicates ahead of it, the last one), as common.evaluation's exact
    search excludes a query from its own results. Missing results are id -1."""
    ids = np.arange(len(vectors)) if ids is None else np.asarray(ids)
    found, distances = search(index, vectors[ids], k + 1, metric)
    return drop_own(found, distances, ids, k)


def drop_own(found, distances, ids, k):
    own = found == ids[:, None]
    # Stable: the own id moves to the end, the others keep their order.
    order = np.argsort(own, axis=1, kind='stable')
    return (np.take_along_axis(found, order, axis=1)[:, :k],
            np.take_along_axis(distances, order, axis=1)[:, :k])

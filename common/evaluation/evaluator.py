"""Scoring a network by the embeddings it gives the evaluation splits."""
import warnings

from . import EvaluationWarning, evaluate


class Evaluator:
    """Embeds the evaluation split(s) with a network and scores the embeddings.

    ``embedders`` hold one function per split (test, or query and gallery) that maps a
    network to (embeddings, labels) numpy arrays; ``options`` go to :func:`evaluate`;
    ``postprocess`` maps each split's embeddings before they are scored. Called with a
    network it returns the metrics; ``embed`` and ``score`` do the two halves (an ensemble
    scores the concatenation of its members).
    """

    def __init__(self, embedders, options, postprocess=None):
        self.embedders, self.options = list(embedders), options
        self.postprocess = postprocess or (lambda e: e)
        self.last_embedded = None  # what the last call scored: [(embeddings, labels)] per split
        self.last_notes = []  # why a metric of the last call is NaN or degenerate

    @property
    def splits(self):
        return len(self.embedders)

    def embed(self, net):
        """One (embeddings, labels) pair per split."""
        return [embed(net) for embed in self.embedders]

    def score(self, embedded):
        embedded = [(self.postprocess(e), y) for e, y in embedded]
        self.last_embedded = embedded
        gallery = embedded[1] if len(embedded) > 1 else (None, None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always', EvaluationWarning)
            metrics = evaluate(embedded[0][0], embedded[0][1], gallery_embeddings=gallery[0],
                               gallery_labels=gallery[1], **self.options)
        # Why a metric is NaN or degenerate goes into the records with the metrics.
        self.last_notes = [str(w.message) for w in caught
                           if issubclass(w.category, EvaluationWarning)]
        for w in caught:
            if not issubclass(w.category, EvaluationWarning):
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        return metrics

    def __call__(self, net):
        return self.score(self.embed(net))

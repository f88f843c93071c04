"""Several embedding networks as one: their L2-normalised outputs side by side.

This is the embedding a DREML run evaluates (``common.training.ensemble.concatenate`` of
the members' ``l2_normalized`` embeddings), as a single hybridizable network that can be
exported. Normalisation is ``x / sqrt(sum(x^2) + 1e-10)``, as in :class:`EmbeddingHead`:
it differs from numpy's ``x / max(|x|, 1e-12)`` only for rows of norm below 1e-5.
"""
from mxnet.gluon import HybridBlock


class ConcatenatedEmbeddings(HybridBlock):
    def __init__(self, members, **kwargs):
        super().__init__(**kwargs)
        if not members:
            raise ValueError('ConcatenatedEmbeddings needs at least one member network')
        self.members = list(members)
        for i, member in enumerate(self.members):
            # Registered by name so that collect_params and export see every member.
            self.register_child(member, 'member%d' % i)

    def hybrid_forward(self, F, x):
        return F.concat(*[F.L2Normalization(m(x), mode='instance', eps=1e-10)
                          for m in self.members], dim=1)

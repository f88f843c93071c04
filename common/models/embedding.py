"""Backbone + embedding head: the network every training script trains."""
import mxnet as mx
from mxnet.gluon import HybridBlock, nn

from .initializers import xavier

# The playground's head initialisation for Inception-BN.
PLAYGROUND_HEAD_INIT = xavier(0.2)


class EmbeddingHead(HybridBlock):
    """Linear layer to ``embed_dim``, optionally followed by L2 normalisation.

    ``hidden_units`` inserts linear bottleneck layers (with bias, no
    activation, as the playground's ``--bottleneck-layers``) before it, each
    followed by dropout of rate ``dropout`` when it is non-zero.
    Normalisation is ``x / sqrt(sum(x^2) + 1e-10)`` per row, finite at zero.
    """

    def __init__(self, embed_dim, normalize=False, use_bias=True, hidden_units=(), dropout=0.0,
                 **kwargs):
        super().__init__(**kwargs)
        self.normalize = normalize
        with self.name_scope():
            self.hidden = nn.HybridSequential()
            for units in hidden_units:
                self.hidden.add(nn.Dense(units, flatten=True))
                if dropout:
                    self.hidden.add(nn.Dropout(dropout))
            self.dense = nn.Dense(embed_dim, use_bias=use_bias, flatten=True)

    def hybrid_forward(self, F, x):
        x = self.dense(self.hidden(x))
        if self.normalize:
            x = F.L2Normalization(x, mode='instance', eps=1e-10)
        return x


class EmbeddingNet(HybridBlock):
    def __init__(self, backbone, head, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.head = head

    def hybrid_forward(self, F, x):
        return self.head(self.backbone(x))


def build_embedding_net(backbone, embed_dim, normalize=False, use_bias=True,
                        init=PLAYGROUND_HEAD_INIT, ctx=mx.cpu(), hidden_units=(), head=None):
    """``backbone`` + a fresh head (an :class:`EmbeddingHead` unless ``head`` is given),
    initialised with ``init``."""
    if head is None:
        head = EmbeddingHead(embed_dim, normalize=normalize, use_bias=use_bias,
                             hidden_units=hidden_units)
    head.initialize(init, ctx=ctx)
    return EmbeddingNet(backbone, head)

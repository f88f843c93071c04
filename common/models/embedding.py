"""Backbone + embedding head: the network every training script trains."""
import mxnet as mx
from mxnet.gluon import HybridBlock, nn

# The playground's head initialisation for Inception-BN.
PLAYGROUND_HEAD_INIT = mx.init.Xavier(rnd_type='uniform', factor_type='avg', magnitude=0.2)


class EmbeddingHead(HybridBlock):
    """Linear layer to ``embed_dim``, optionally followed by L2 normalisation.

    Normalisation is ``x / sqrt(sum(x^2) + 1e-10)`` per row, finite at zero.
    """

    def __init__(self, embed_dim, normalize=False, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.normalize = normalize
        with self.name_scope():
            self.dense = nn.Dense(embed_dim, use_bias=use_bias, flatten=True)

    def hybrid_forward(self, F, x):
        x = self.dense(x)
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
                        init=PLAYGROUND_HEAD_INIT, ctx=mx.cpu()):
    head = EmbeddingHead(embed_dim, normalize=normalize, use_bias=use_bias)
    head.initialize(init, ctx=ctx)
    return EmbeddingNet(backbone, head)

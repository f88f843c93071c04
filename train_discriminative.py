"""Discriminative loss, the upper bound on the triplet loss (Do et al., CVPR 2019), as in the
DML playground.

Fixed one-hot class centroids; the head is a 64-d bottleneck (with bias),
dropout 0.5, a bias-free layer to C outputs (C = training classes) and L2
normalisation, so the test embedding is C-dimensional. The loss is scaled by
g = 3(C-1)(n/C - 1)(n/C) for batches of n; g would be <= 0 (a flipped
objective) when n <= C, so such batches need an explicit --loss-scale.
Shuffled batches of 128, Adam (epsilon 1e-7), clipping at 10.
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.loss_options import LossOptions
from common.losses import DiscriminativeLoss, discriminative_scale
from common.models import EmbeddingHead
from common.training import Recipe


class Discriminative(Recipe):
    """Discriminative loss (upper bound on the triplet loss)."""
    name = 'discriminative'
    defaults = dict(batch_size=128, epochs=60, lr=1e-4, factor=0.5, wd=1e-5, steps='20,30,40')
    loss_options = (LossOptions(DiscriminativeLoss, ['scale'], defaults={'scale': None}, helps={
        'scale': 'scale g of the loss (default: the playground\'s 3(C-1)(n/C-1)(n/C), which '
                 'needs --batch-size above the number of training classes)'}),)

    def build_head(self, args, dataset):
        # --embed-dim is the bottleneck; the embedding has one dimension per training class.
        return EmbeddingHead(dataset.train.num_classes, normalize=True, use_bias=False,
                             hidden_units=(args.embed_dim,), dropout=0.5)

    def build_loss(self, args, dataset):
        classes = dataset.train.num_classes
        scale = args.loss_scale
        if scale is None:
            n = min(args.batch_size, len(dataset.train))
            scale = discriminative_scale(n, classes)
            if scale <= 0:
                raise ValueError(
                    'the discriminative loss scale 3(C-1)(n/C-1)(n/C) is %.4g for batches of '
                    'n = %d and C = %d training classes: it flips the objective when n <= C; use '
                    '--batch-size above %d or give a positive --loss-scale'
                    % (scale, n, classes, classes))
        return self.loss_options[0].build(args, classes, scale=scale)


if __name__ == '__main__':
    Discriminative().main()

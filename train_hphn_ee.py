"""Hardest-positive/hardest-negative triplet loss with Embedding Expansion (Ko & Gu, CVPR 2020).

The official recipe's defaults: GoogLeNet, 512-d L2-normalised embedding,
227 px, P x K batches of 4 classes x 32 images whose consecutive images pair
up, Adam 1e-4 with weight decay 5e-4, margin 1e-5, learning rate halved at
"epochs" 400/800/1200/1600 of C x K / B iterations, evaluation every 5
epochs. ``--n-inner-pts 0`` is plain HPHN triplet loss.
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.cli import add_class_balanced_options
from common.loss_options import LossOptions
from common.losses import HPHNTripletLoss
from common.models.initializers import xavier
from common.training import Recipe


class HPHNEmbeddingExpansion(Recipe):
    """HPHN triplet loss with Embedding Expansion."""
    name = 'hphn_ee'
    defaults = dict(model='googlenet', embed_dim=512, image_size=227, batch_size=128,
                    epochs=4000, lr=1e-4, wd=5e-4, factor=0.5, steps='400,800,1200,1600',
                    eval_every=5)
    head_normalize = True
    epsilon = 1e-8
    # Small classes drawn with replacement: every block is exactly K long, so the pairs of
    # Embedding Expansion never straddle two classes.
    class_fill = 'replace'
    clip_gradient = None

    loss_options = (LossOptions(HPHNTripletLoss, ['n_inner_pts', 'margin', 'soft_margin']),)

    def add_options(self, parser):
        add_class_balanced_options(parser, batch_k=32, iterations=0)

    def check_options(self, parser, args):
        super().check_options(parser, args)
        if args.batch_k % 2:
            parser.error('--batch-k %d must be even: Embedding Expansion pairs consecutive '
                         'images of a class' % args.batch_k)

    def sampler_kind(self, args):
        return 'class_balanced'

    def head_initializer(self, args):
        return xavier(2.0)

    def epoch_batches(self, args, split, batch):
        # The official "epoch" is C x K images.
        return args.iteration_per_epoch or max(1, split.num_classes * args.batch_k // batch.total)



if __name__ == '__main__':
    HPHNEmbeddingExpansion().main()

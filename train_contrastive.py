"""Contrastive loss with positive and negative margins (Hadsell et al., 2006).

L2-normalised 64-d embedding, P x K batches of 16 classes x 5 images; every
pair of the batch counts, each kind averaged over its non-zero terms.
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.losses import ContrastiveLoss
from common.training.recipes import ClassBalancedRecipe


class Contrastive(ClassBalancedRecipe):
    """Contrastive loss."""
    name = 'contrastive'

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument('--pos-margin', type=float, default=0.0,
                            help='positive pairs are pulled until this distance')
        parser.add_argument('--neg-margin', type=float, default=1.0,
                            help='negative pairs are pushed beyond this distance')

    def build_loss(self, args, dataset):
        return ContrastiveLoss(args.pos_margin, args.neg_margin)


if __name__ == '__main__':
    Contrastive().main()

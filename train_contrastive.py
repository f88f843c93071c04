"""Contrastive loss with positive and negative margins (Hadsell et al., 2006).

L2-normalised 64-d embedding, P x K batches of 16 classes x 5 images; every
pair of the batch counts, each kind averaged over its non-zero terms.
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.loss_options import LossOptions
from common.losses import ContrastiveLoss
from common.training.recipes import ClassBalancedRecipe


class Contrastive(ClassBalancedRecipe):
    """Contrastive loss."""
    name = 'contrastive'

    loss_options = (LossOptions(ContrastiveLoss, ['pos_margin', 'neg_margin']),)


if __name__ == '__main__':
    Contrastive().main()

"""Hardest-positive/hardest-negative triplet loss with Embedding Expansion (Ko & Gu, CVPR 2020).

The official recipe's defaults: GoogLeNet, 512-d L2-normalised embedding,
227 px, P x K batches of 4 classes x 32 images whose consecutive images pair
up, Adam 1e-4 with weight decay 5e-4, margin 1e-5, learning rate halved at
"epochs" 400/800/1200/1600 of C x K / B iterations, evaluation every 5
epochs. ``--n-inner-pts 0`` is plain HPHN triplet loss.
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.loss_options import LossOptions
from common.losses import HPHNTripletLoss
from common.search_space import integers, log_uniform, uniform
from common.training.recipes import PairedBlocksRecipe


class HPHNEmbeddingExpansion(PairedBlocksRecipe):
    """HPHN triplet loss with Embedding Expansion."""
    name = 'hphn_ee'
    defaults = dict(PairedBlocksRecipe.defaults, epochs=4000, steps='400,800,1200,1600',
                    eval_every=5)

    loss_options = (LossOptions(HPHNTripletLoss, ['n_inner_pts', 'margin', 'soft_margin']),)

    def search_space(self, args):
        # Ko and Gu's EE: 2-8 inner points (2 on CUB); HPHN's margin is ~0 (1e-5) in the
        # official code, 0.1-0.2 in triplet practice.
        return dict(lr=log_uniform(1e-6, 1e-3), n_inner_pts=integers(1, 8),
                    margin=uniform(1e-5, 0.3))


if __name__ == '__main__':
    HPHNEmbeddingExpansion().main()

"""Multi-similarity loss with its pair mining (Wang et al., CVPR 2019).

The published alpha 2, beta 50, lambda 1, epsilon 0.1 by default;
``--ms-official`` uses the official code's alpha 2, beta 40, lambda 0.5.
The official recipe's schedule: 512-d L2-normalised embedding, P x K batches
of 16 classes x 5 images, Adam 3e-5 with weight decay 5e-4, 3,000 batches
with the learning rate x0.1 after 1,200 and 2,400 (here 15 epochs of 200,
x0.1 at epochs 7 and 13). The official code also freezes batch
normalisation: add ``--frozen-bn`` (off by default, as in the playground).
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.loss_options import MULTI_SIMILARITY, add_official_switch, multi_similarity_values
from common.training.recipes import ClassBalancedRecipe


class MultiSimilarity(ClassBalancedRecipe):
    """Multi-similarity loss."""
    name = 'multisimilarity'
    defaults = dict(embed_dim=512, batch_size=80, epochs=15, lr=3e-5, factor=0.1, wd=5e-4,
                    steps='7,13')
    loss_options = (MULTI_SIMILARITY,)

    def add_options(self, parser):
        super().add_options(parser)
        add_official_switch(parser)

    def build_loss(self, args, dataset):
        return MULTI_SIMILARITY.build(args, **multi_similarity_values(args))


if __name__ == '__main__':
    MultiSimilarity().main()

"""Binomial deviance loss (Yi et al., 2014) as in the Deep_Metric code.

Cosine similarities of an L2-normalised embedding; positive scale alpha,
negative scale alpha * cost, both around beta. Deep_Metric's run: 512-d,
P x K batches of 16 classes x 5 images, Adam 1e-5, weight decay 5e-4.
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.loss_options import LossOptions
from common.losses import BinomialDevianceLoss
from common.training.recipes import ClassBalancedRecipe


class Binomial(ClassBalancedRecipe):
    """Binomial deviance loss."""
    name = 'binomial'
    defaults = dict(embed_dim=512, batch_size=80, epochs=20, lr=1e-5, factor=0.5, wd=5e-4,
                    steps='12,16')
    loss_options = (LossOptions(BinomialDevianceLoss, ['alpha', 'beta', 'cost']),)


if __name__ == '__main__':
    Binomial().main()

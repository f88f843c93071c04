"""Lifted structured loss (Song et al., CVPR 2016), as in the DML playground.

Unnormalised 64-d embedding on shuffled batches, margin 1 on Euclidean
distances. ``--lifted-form smooth`` (default) is the paper's smooth upper
bound that the paper trains and the playground computes (the two are the
same loss in different bookkeeping); ``hard`` is the paper's structured loss
with only the hardest negative of either end of a pair.
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.loss_options import LossOptions
from common.losses import LiftedStructLoss
from common.training import Recipe


class LiftedStruct(Recipe):
    """Lifted structured loss."""
    name = 'liftedstruct'
    defaults = dict(batch_size=128, epochs=60, lr=1e-4, factor=0.5, wd=1e-5, steps='20,30,40')
    loss_options = (LossOptions(LiftedStructLoss, ['margin', 'form']),)


if __name__ == '__main__':
    LiftedStruct().main()

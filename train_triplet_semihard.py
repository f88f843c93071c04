"""Triplet loss with semi-hard negative mining (FaceNet), as in the DML playground.

Unnormalised 64-d embedding (dense layer with bias) on shuffled batches;
margin 1 on squared distances; Adam (epsilon 1e-7), gradient clipping at 10.
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.loss_options import LossOptions
from common.losses import TripletSemiHardLoss
from common.training import Recipe


class TripletSemiHard(Recipe):
    """Triplet loss with semi-hard negative mining."""
    name = 'triplet_semihard'
    defaults = dict(batch_size=128, epochs=60, lr=1e-4, factor=0.5, wd=1e-5, steps='20,30,40')
    loss_options = (LossOptions(TripletSemiHardLoss, ['margin']),)


if __name__ == '__main__':
    TripletSemiHard().main()

"""Triplet loss with semi-hard negative mining (FaceNet), as in the DML playground.

Unnormalised 64-d embedding (dense layer with bias) on shuffled batches;
margin 1 on squared distances; Adam (epsilon 1e-7), gradient clipping at 10.
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.loss_options import LossOptions
from common.losses import TripletSemiHardLoss
from common.search_space import log_uniform, uniform
from common.training import Recipe


class TripletSemiHard(Recipe):
    """Triplet loss with semi-hard negative mining."""
    name = 'triplet_semihard'
    defaults = dict(batch_size=128, epochs=60, lr=1e-4, factor=0.5, wd=1e-5, steps='20,30,40')
    loss_options = (LossOptions(TripletSemiHardLoss, ['margin']),)

    def search_space(self, args):
        # FaceNet's margin 0.2 up to TensorFlow's default 1.0; the recipe's 1e-4 in the middle.
        return dict(lr=log_uniform(1e-6, 1e-3), margin=uniform(0.05, 1.0))


if __name__ == '__main__':
    TripletSemiHard().main()

"""Multi-class N-pair loss (Sohn, NIPS 2016), as in the DML playground.

Unnormalised 64-d embedding with an L2 penalty on it, N-pair batches (64
classes x 2 images; with probability --same-image-sampling a pair is one
image augmented twice), gradient divided by N.
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.loss_options import LossOptions
from common.losses import NPairLoss
from common.training.recipes import PairBatchRecipe


class NPairs(PairBatchRecipe):
    """Multi-class N-pair loss."""
    name = 'npairs'
    defaults = dict(batch_size=128, epochs=25, lr=1e-4, factor=0.5, wd=1e-5,
                    steps='12,14,16,18')
    clip_gradient = None
    loss_options = (LossOptions(NPairLoss, ['l2_reg', 'symmetric']),)

    def gradient_divisor(self, args, batch):
        return batch.per_device // 2  # the playground's step(64)


if __name__ == '__main__':
    NPairs().main()

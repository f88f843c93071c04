"""Angular loss (Wang et al., ICCV 2017) in its N-pair form, alone or added to N-pair loss.

Unnormalised 64-d embedding with an L2 penalty, N-pair batches (64 classes x
2 images), alpha in degrees; ``--angular-lambda L > 0`` trains
N-pair + L * angular, as in the DML playground.
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.losses import AngularLoss, NPairLoss, WeightedSum
from common.training.recipes import PairBatchRecipe


class Angular(PairBatchRecipe):
    """Angular loss."""
    name = 'angular'
    defaults = dict(batch_size=128, epochs=30, lr=1e-5, factor=0.5, wd=1e-5, steps='10,20')

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument('--alpha', type=float, default=45.0, help='angle bound in degrees')
        parser.add_argument('--angular-lambda', type=float, default=0.0,
                            help='0: angular loss alone; > 0: N-pair + lambda * angular')

    def build_loss(self, args, dataset):
        if args.angular_lambda > 0:
            return WeightedSum([(1.0, NPairLoss(args.l2reg_weight, args.symmetric_loss)),
                                (args.angular_lambda,
                                 AngularLoss(args.alpha, 0.0, args.symmetric_loss))])
        return AngularLoss(args.alpha, args.l2reg_weight, args.symmetric_loss)

    def gradient_divisor(self, args, batch):
        return batch.per_device  # the playground's step(128)


if __name__ == '__main__':
    Angular().main()

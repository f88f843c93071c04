"""Angular loss (Wang et al., ICCV 2017) in its N-pair form, alone or added to N-pair loss.

Unnormalised 64-d embedding with an L2 penalty, N-pair batches (64 classes x
2 images), alpha in degrees; ``--angular-lambda L > 0`` trains
N-pair + L * angular, as in the DML playground.
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.loss_options import LossOptions
from common.losses import AngularLoss, NPairLoss, WeightedSum
from common.search_space import log_uniform, uniform
from common.training.recipes import PairBatchRecipe


class Angular(PairBatchRecipe):
    """Angular loss."""
    name = 'angular'
    defaults = dict(batch_size=128, epochs=30, lr=1e-5, factor=0.5, wd=1e-5, steps='10,20')
    loss_options = (LossOptions(AngularLoss, ['alpha', 'l2_reg', 'symmetric']),)

    def search_space(self, args):
        # Wang et al. report alpha 36-55 degrees (45 on CUB); the recipe's lr 1e-5.
        return dict(lr=log_uniform(1e-6, 1e-3), alpha=uniform(30.0, 55.0))

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument('--angular-lambda', type=float, default=0.0,
                            help='0: angular loss alone; > 0: N-pair + lambda * angular')

    def build_loss(self, args, dataset):
        angular, = self.loss_options
        if args.angular_lambda > 0:  # the L2 penalty once, with the N-pair part
            values = angular.values(args)
            return WeightedSum([(1.0, NPairLoss(values['l2_reg'], values['symmetric'])),
                                (args.angular_lambda, angular.build(args, l2_reg=0.0))])
        return angular.build(args)

    def gradient_divisor(self, args, batch):
        return batch.per_device  # the playground's step(128)


if __name__ == '__main__':
    Angular().main()

"""Margin loss with distance-weighted negative sampling (Wu et al., ICCV 2017).

L2-normalised 64-d embedding, P x K batches (25 classes x 5 images),
boundary beta learned per class by its own SGD, negatives drawn by
distance-weighted sampling (cutoff 0.5, no negatives beyond 1.4), as in the
DML playground (whose beta was indexed by batch position, not class).
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.loss_options import LossOptions
from common.losses import DistanceWeightedSampler, MarginLoss
from common.models.initializers import xavier
from common.search_space import log_uniform, uniform
from common.training import ParamGroup
from common.training.recipes import ClassBalancedRecipe


class Margin(ClassBalancedRecipe):
    """Margin loss with distance-weighted sampling."""
    name = 'margin'
    defaults = dict(batch_size=125, epochs=20, lr=1e-4, factor=0.5, wd=1e-5,
                    steps='12,14,16,18', save_model_prefix='margin_loss_model')
    loss_options = (LossOptions(MarginLoss, ['margin', 'beta', 'nu']),
                    LossOptions(DistanceWeightedSampler, ['cutoff', 'nonzero_loss_cutoff']))

    def search_space(self, args):
        # Wu et al.'s margin 0.2 and initial beta 1.2 (their CUB/Cars/SOP runs: 0.6-1.2).
        return dict(lr=log_uniform(1e-6, 1e-3), margin=uniform(0.05, 0.5),
                    beta=uniform(0.5, 1.6))

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument('--lr-beta', type=float, default=0.1,
                            help='learning rate of beta (SGD, momentum 0.9); 0 keeps it fixed')

    def head_initializer(self, args):
        # The playground's margin script: Xavier(0.2) after Inception-BN, Xavier(2) after ResNet.
        return xavier(2.0 if args.model.startswith('resnet') else 0.2)

    def build_loss(self, args, dataset):
        loss, sampler = self.loss_options
        return loss.build(args, dataset.train.num_classes, learn_beta=args.lr_beta > 0,
                          sampler=sampler.build(args))

    def gradient_divisor(self, args, batch):
        return batch.per_device  # the playground's step(125): loss / batch size

    def parameter_groups(self, args, net, loss, batch):
        divisor = self.gradient_divisor(args, batch)
        groups = [ParamGroup(net.collect_params(), args.optimizer, args.lr, args.wd, divisor,
                             {'epsilon': self.epsilon}, 'net')]
        if args.lr_beta > 0:
            groups.append(ParamGroup(loss.collect_params(), 'sgd', args.lr_beta, 0.0, divisor,
                                     {'momentum': 0.9}, 'beta'))
        return groups


if __name__ == '__main__':
    Margin().main()

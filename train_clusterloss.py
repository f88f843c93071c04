"""Structured clustering (facility location) loss (Song et al., CVPR 2017), as in the DML
playground.

L2-normalised 64-d embedding (bias-free layer); loss-augmented greedy
inference with the NMI margin, PAM refinement (5 iterations); shuffled
batches of 120 (or P x K batches with --iteration-per-epoch > 0); Adam
(epsilon 1e-7), no clipping, gradient divided by the batch size. With
--optimizer rmsprop the decay rate is 0.94 and the learning rate shrinks
x0.94 every epoch (the paper's recipe).
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.cli import add_class_balanced_options
from common.loss_options import LossOptions
from common.losses import FacilityLocationLoss
from common.training import Recipe
from common.training.optim import ParamGroup
from common.training.recipes import ShuffledOrClassBalanced

RMSPROP_DECAY = 0.94


class ClusterLoss(ShuffledOrClassBalanced, Recipe):
    """Facility-location (structured clustering) loss."""
    name = 'clusterloss'
    defaults = dict(batch_size=120, epochs=25, lr=1e-4, factor=0.5, wd=1e-5,
                    steps='12,14,16,18')
    head_normalize = True
    head_bias = False
    clip_gradient = None

    loss_options = (LossOptions(FacilityLocationLoss, ['gamma', 'pam_iterations']),)

    def add_options(self, parser):
        parser.add_argument('--epsilon', type=float, default=1e-7, help='Adam epsilon')
        parser.add_argument('--decrease-cnn-lr', action='store_true',
                            help='train the embedding layer 10x faster than the backbone')
        add_class_balanced_options(parser, batch_k=5, iterations=0)

    def head_lr_mult(self, args):
        return 10.0 if args.decrease_cnn_lr else 1.0

    def gradient_divisor(self, args, batch):
        return batch.per_device  # the playground's step(120) on a summed loss

    def parameter_groups(self, args, net, loss, batch):
        options = {'epsilon': args.epsilon, 'clip_gradient': self.clip_gradient}
        if args.optimizer.lower() == 'rmsprop':
            options['gamma1'] = RMSPROP_DECAY
        return [ParamGroup(net.collect_params(), args.optimizer, args.lr, args.wd,
                           divisor=self.gradient_divisor(args, batch), options=options)]

    def lr_scale(self, state):
        if state.args.optimizer.lower() == 'rmsprop':
            return RMSPROP_DECAY ** (state.epoch - 1)
        return 1.0


if __name__ == '__main__':
    ClusterLoss().main()

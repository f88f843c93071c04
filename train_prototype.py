"""Prototypical networks (Snell et al. 2017), as in the DML playground.

Episodes of --nc classes with --ns supports and --nq queries each (12 x (5+5)
images at 224 px); supports and queries go through the network in separate
passes; unnormalised 64-d embedding; softmax over negative squared
distances to the class means. --batch-size only sets the test-time batch.
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.data.samplers import EpisodeBatchSampler
from common.loss_options import LossOptions
from common.losses import PrototypeLoss
from common.training import Recipe
from common.training.embed import forward_in_two


class Prototype(Recipe):
    """Prototypical networks."""
    name = 'prototype'
    defaults = dict(batch_size=32, epochs=30, lr=1e-4, factor=0.5, wd=1e-5,
                    steps='12,14,16,18')
    clip_gradient = None
    loss_options = (LossOptions(PrototypeLoss, ['num_classes', 'num_support', 'num_query'],
                                defaults={'num_classes': 12, 'num_support': 5, 'num_query': 5}),)

    def add_options(self, parser):
        parser.add_argument('--iteration-per-epoch', type=int, default=100,
                            help='episodes per epoch')

    def check_options(self, parser, args):
        super().check_options(parser, args)
        if args.iteration_per_epoch < 1:
            parser.error('--iteration-per-epoch must be at least 1')

    def sampler_kind(self, args):
        return 'episode'

    def train_resize(self, args):
        return 256

    def gradient_divisor(self, args, batch):
        # The playground summed the per-query losses and stepped by the episode size.
        return (args.ns + args.nq) / args.nq

    def make_sampler(self, args, split, batch, seed):
        return EpisodeBatchSampler(split.labels, args.nc, args.ns, args.nq,
                                   args.iteration_per_epoch, seed, groups=batch.devices)

    def on_epoch_start(self, state):
        if state.epoch == 1 and state.sampler.excluded:
            state.recorder.info('%d training classes have fewer than --ns + --nq = %d images and '
                                'are left out of the episodes', state.sampler.excluded,
                                state.args.ns + state.args.nq)

    def forward(self, state, data):
        return forward_in_two(state.net, data, state.args.nc * state.args.ns)


if __name__ == '__main__':
    Prototype().main()

"""What the N-pair-style scripts (N-pairs, angular) share: batches of pairs."""
from ..cli import add_npair_options
from .embed import forward_in_two
from .script import TrainingScript


class PairBatchScript(TrainingScript):
    """N distinct classes, two images each, laid out [anchors; positives] per device.

    As in the playground, anchors and positives go through the network in
    two passes, so batch normalisation sees N images at a time.
    """
    sampler = 'npair'
    train_resize = 256

    def add_options(self, parser):
        add_npair_options(parser)

    def head_lr_mult(self, args):
        return 10.0 if args.decrease_cnn_lr else 1.0

    def forward(self, state, data):
        return forward_in_two(state.net, data, data.shape[0] // 2)

"""Stochastic symmetric triplet loss with local sampling (Nguyen & De Baets, 2020).

Every epoch the training set is embedded and clustered by k-means into
N / batch-size neighbourhoods, and each neighbourhood is one batch; within it
every image is an anchor for its --n-targets nearest same-class images
against every other-class image. The authors' final settings: BN-Inception,
512-d unnormalised embedding, neighbourhoods of 200, 5 targets, Adam 1e-4
(the new embedding layer 10x), weight decay 1e-4, learning rate halved when
the training loss stalls for 5 epochs, stop after 15 such epochs, at most
150 epochs.
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.loss_options import LossOptions
from common.losses import StochasticSymmetricTripletLoss
from common.training.recipes import LocalSamplingRecipe
from common.training.schedule import Plateau


class SST(LocalSamplingRecipe):
    """Stochastic symmetric triplet loss with local sampling."""
    name = 'sst'
    defaults = dict(embed_dim=512, batch_size=200, epochs=150, lr=1e-4, factor=0.5, wd=1e-4,
                    steps='0')
    epsilon = 1e-8
    clip_gradient = None

    loss_options = (LossOptions(StochasticSymmetricTripletLoss, ['n_targets']),)

    def add_options(self, parser):
        parser.add_argument('--plateau-patience', type=int, default=5,
                            help='halve the learning rate after this many epochs without a '
                                 'lower training loss')
        parser.add_argument('--early-stop-patience', type=int, default=15,
                            help='stop after this many epochs without a lower training loss')

    def train_resize(self, args):
        return 256

    def head_lr_mult(self, args):
        return 10.0

    def plateau(self, state):
        if 'plateau' not in state.extra:
            args = state.args
            state.extra['plateau'] = Plateau(0.5, args.plateau_patience,
                                             args.early_stop_patience)
        return state.extra['plateau']

    def lr_scale(self, state):
        return self.plateau(state).scale

    def on_epoch_end(self, state, loss):
        plateau = self.plateau(state)
        plateau.update(loss)
        if plateau.exhausted:
            return 'the training loss has not improved for %d epochs' % plateau.stop_patience
        return None

if __name__ == '__main__':
    SST().main()

"""Recipe families that several algorithms share: their sampler, pre-processing, forward."""
from ..cli import add_class_balanced_options, add_npair_options
from ..data.samplers import NeighbourhoodBatchSampler
from ..evaluation import kmeans_assign
from ..models import EmbeddingHead
from ..models.initializers import xavier
from .embed import extract_embeddings, forward_in_two
from .recipe import Recipe
from .run_setup import embedding_loader

# The playground's class-balanced iterators resized images to 256 x 256 (at 224 px) first.
CLASS_BALANCED_RESIZE = 256


class ClassBalancedRecipe(Recipe):
    """P = batch size / K classes, K images each, ``iteration_per_epoch`` batches an epoch.

    Images are first resized to 256 x 256 (at 224 px) and then cropped, the
    playground's pre-processing for its class-balanced iterators. The
    playground's P x K scripts L2-normalise the embedding and do not clip
    gradients.
    """
    # The playground's P x K schedule (margin, with 16 x 5 batches as in the MS recipe).
    defaults = dict(batch_size=80, epochs=20, lr=1e-4, factor=0.5, wd=1e-5,
                    steps='12,14,16,18')
    head_normalize = True
    clip_gradient = None
    batch_k = 5
    iterations = 200

    def add_options(self, parser):
        add_class_balanced_options(parser, batch_k=self.batch_k, iterations=self.iterations)

    def sampler_kind(self, args):
        return 'class_balanced'

    def train_resize(self, args):
        return CLASS_BALANCED_RESIZE


class ShuffledOrClassBalanced:
    """Mixin: shuffled batches, or with --iteration-per-epoch > 0 the playground's P x K
    iterator, which resized the images to 256 x 256 (at 224 px) first."""

    def check_options(self, parser, args):
        super().check_options(parser, args)
        if args.iteration_per_epoch < 0:
            parser.error('--iteration-per-epoch must be >= 0 (0: shuffled batches)')

    def sampler_kind(self, args):
        return 'class_balanced' if args.iteration_per_epoch > 0 else 'shuffled'

    def train_resize(self, args):
        return CLASS_BALANCED_RESIZE if args.iteration_per_epoch > 0 else None


class PairBatchRecipe(Recipe):
    """N distinct classes, two images each, laid out [anchors; positives] per device.

    As in the playground, anchors and positives go through the network in
    two passes, so batch normalisation sees N images at a time.
    """

    def add_options(self, parser):
        add_npair_options(parser)
        parser.add_argument('--normalize-embeddings', action='store_true',
                            help='L2-normalise the embeddings, as the angular loss paper does '
                                 '(the playground\'s N-pair and angular scripts leave them '
                                 'unnormalised; their norms can collapse, see the README)')

    def build_head(self, args, dataset):
        return EmbeddingHead(args.embed_dim, normalize=args.normalize_embeddings,
                             use_bias=self.head_bias)

    def sampler_kind(self, args):
        return 'npair'

    def train_resize(self, args):
        return CLASS_BALANCED_RESIZE

    def head_lr_mult(self, args):
        return 10.0 if args.decrease_cnn_lr else 1.0

    def forward(self, state, data):
        return forward_in_two(state.net, data, data.shape[0] // 2)


class LocalSamplingRecipe(Recipe):
    """Local (neighbourhood) sampling: batches are clusters of the current embedding space.

    Before every epoch the whole training split is embedded with the test-time
    transform and clustered by k-means into N // batch_size clusters; each
    cluster becomes one batch (Nguyen & De Baets, 2020).
    """

    def sampler_kind(self, args):
        return 'neighbourhood'

    def make_sampler(self, args, split, batch, seed):
        return NeighbourhoodBatchSampler(split.labels, batch.total, seed)

    def on_epoch_start(self, state):
        args = state.args
        if 'train_embedding_loader' not in state.cache:
            state.cache['train_embedding_loader'] = embedding_loader(
                args, state.dataset.train, state.contexts)
        embeddings, _ = extract_embeddings(state.net, state.cache['train_embedding_loader'],
                                           state.contexts)
        clusters = max(1, len(embeddings) // (args.batch_size * len(state.contexts)))
        assignment = kmeans_assign(embeddings, clusters, seed=args.seed + state.epoch)
        batches = state.sampler.set_clusters(assignment)
        state.recorder.info('[Epoch %d] local sampling: %d clusters, %d usable as batches',
                            state.epoch, clusters, batches)


class PairedBlocksRecipe(Recipe):
    """P x K batches whose consecutive images of a class pair up: rows (0, 1), (2, 3), ...

    The recipe of Embedding Expansion's official code and of LoOp's, its fork:
    GoogLeNet, 512-d L2-normalised embedding with a Xavier-initialised head,
    227 px, 4 classes x 32 images, Adam 1e-4 with weight decay 5e-4, no gradient
    clipping, and an "epoch" of C x K images (C training classes). K must be
    even, and small classes are drawn with replacement so that every block is
    exactly K long and no pair straddles two classes.
    """
    defaults = dict(model='googlenet', embed_dim=512, image_size=227, batch_size=128,
                    lr=1e-4, wd=5e-4, factor=0.5)
    head_normalize = True
    epsilon = 1e-8
    class_fill = 'replace'
    clip_gradient = None

    def add_options(self, parser):
        add_class_balanced_options(parser, batch_k=32, iterations=0)

    def check_options(self, parser, args):
        super().check_options(parser, args)
        if args.batch_k % 2:
            parser.error('--batch-k %d must be even: consecutive images of a class pair up'
                         % args.batch_k)

    def sampler_kind(self, args):
        return 'class_balanced'

    def head_initializer(self, args):
        return xavier(2.0)

    def epoch_batches(self, args, split, batch):
        # The official "epoch" is C x K images.
        return args.iteration_per_epoch or max(1, split.num_classes * args.batch_k // batch.total)

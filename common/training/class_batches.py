"""What the P x K scripts share: class-balanced batches, as the playground's iterator."""
from ..cli import add_class_balanced_options
from .script import TrainingScript


class ClassBalancedScript(TrainingScript):
    """P = batch size / K classes, K images each, ``iteration_per_epoch`` batches an epoch.

    Images are first resized to 256 x 256 (at 224 px) and then cropped, the
    playground's pre-processing for its class-balanced iterators. The
    playground's P x K scripts L2-normalise the embedding and do not clip
    gradients.
    """
    # The playground's P x K schedule (margin, with 16 x 5 batches as in the MS recipe).
    defaults = dict(batch_size=80, epochs=20, lr=1e-4, factor=0.5, wd=1e-5,
                    steps='12,14,16,18')
    sampler = 'class_balanced'
    train_resize = 256
    head_normalize = True
    clip_gradient = None
    batch_k = 5
    iterations = 200

    def add_options(self, parser):
        add_class_balanced_options(parser, batch_k=self.batch_k, iterations=self.iterations)


class ShuffledOrClassBalanced:
    """Mixin: shuffled batches, or with --iteration-per-epoch > 0 the playground's P x K
    iterator, which resized the images to 256 x 256 (at 224 px) first."""

    def sampler_kind(self, args):
        return 'class_balanced' if args.iteration_per_epoch > 0 else 'shuffled'

    def transform_resize(self, args):
        return ClassBalancedScript.train_resize if args.iteration_per_epoch > 0 else None

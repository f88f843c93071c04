"""What the P x K scripts share: class-balanced batches, as the playground's iterator."""
from ..cli import add_class_balanced_options
from .script import TrainingScript


class ClassBalancedScript(TrainingScript):
    """P = batch size / K classes, K images each, ``iteration_per_epoch`` batches an epoch.

    Images are first resized to 256 x 256 (at 224 px) and then cropped, the
    playground's pre-processing for its class-balanced iterators.
    """
    sampler = 'class_balanced'
    train_resize = 256
    batch_k = 5
    iterations = 200

    def add_options(self, parser):
        add_class_balanced_options(parser, batch_k=self.batch_k, iterations=self.iterations)

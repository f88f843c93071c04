"""Helpers for running training scripts in-process on the embedded dataset."""
import os
import shutil

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)  # the repository: the train_*.py scripts and ``common``


def small_folder(glyph_root, root, classes=8, images=6):
    """A class-per-folder dataset of the first ``classes`` glyph classes, ``images`` each
    (half the classes train, half test); returns ``root``."""
    names = sorted(n for n in os.listdir(glyph_root)
                   if os.path.isdir(os.path.join(glyph_root, n)))[:classes]
    for c, name in enumerate(names):
        os.makedirs(os.path.join(root, 'c%d' % c))
        for f in sorted(os.listdir(os.path.join(glyph_root, name)))[:images]:
            shutil.copy(os.path.join(glyph_root, name, f), os.path.join(root, 'c%d' % c, f))
    return root


def glyph_argv(glyph_root, results_dir, *extra, epochs=1, batch_size=32):
    return ['--dataset', 'glyphs', '--data-path', glyph_root, '--model', 'small',
            '--no-pretrained', '--image-size', '32', '--num-workers', '0',
            '--epochs', str(epochs), '--batch-size', str(batch_size),
            '--results-dir', str(results_dir)] + [str(e) for e in extra]


def run(recipe, argv):
    """Parse ``argv`` for ``recipe`` and run it as its script would, errors raised; returns
    the summary dict."""
    return recipe.runner(recipe).run(recipe.parse_args(argv), argv)


# What a miniature run adds to the command line unless told otherwise: no NMI, no model
# files, no learning-rate steps.
QUICK = ('--no-nmi', '--save-model-prefix', 'none', '--steps', '0')


def miniature_run(script, glyph_root, results_dir, *extra, epochs=3, batch_size=64,
                  quick=True):
    """A short run on the embedded dataset (with the options of ``QUICK`` unless ``quick``
    is false); returns (R@1 before, R@1 best, summary)."""
    argv = glyph_argv(glyph_root, results_dir, *(QUICK if quick else ()), *extra,
                      epochs=epochs, batch_size=batch_size)
    summary = run(script, argv)
    before, after = summary['pretrain']['R@1']['mean'], summary['best']['R@1']['mean']
    print('%s %s: R@1 %.2f -> %.2f' % (script.name, ' '.join(map(str, extra)), before, after))
    return before, after, summary


class Interrupt(Exception):
    pass


def interrupted(script_class, at_run, at_epoch):
    """The script, raising at the start of one epoch as a kill would stop it."""
    class Interrupted(script_class):
        def on_epoch_start(self, state):
            if (state.run, state.epoch) == (at_run, at_epoch):
                raise Interrupt()
            super().on_epoch_start(state)
    return Interrupted()

"""Helpers for running training scripts in-process on the embedded dataset."""


def glyph_argv(glyph_root, results_dir, *extra, epochs=1, batch_size=32):
    return ['--dataset', 'glyphs', '--data-path', glyph_root, '--model', 'small',
            '--no-pretrained', '--image-size', '32', '--num-workers', '0',
            '--epochs', str(epochs), '--batch-size', str(batch_size),
            '--results-dir', str(results_dir)] + [str(e) for e in extra]


def run(script, argv):
    """Parse ``argv`` for ``script`` and run it; returns the summary dict."""
    return script.run(script.parse_args(argv))

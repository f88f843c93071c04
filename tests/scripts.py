"""Helpers for running training scripts in-process on the embedded dataset."""


def glyph_argv(glyph_root, results_dir, *extra, epochs=1, batch_size=32):
    return ['--dataset', 'glyphs', '--data-path', glyph_root, '--model', 'small',
            '--no-pretrained', '--image-size', '32', '--num-workers', '0',
            '--epochs', str(epochs), '--batch-size', str(batch_size),
            '--results-dir', str(results_dir)] + [str(e) for e in extra]


def run(script, argv):
    """Parse ``argv`` for ``script`` and run it; returns the summary dict."""
    return script.run(script.parse_args(argv))


def miniature_run(script, glyph_root, results_dir, *extra, epochs=3, batch_size=64):
    """A short run on the embedded dataset; returns (R@1 before, R@1 best, summary)."""
    argv = glyph_argv(glyph_root, results_dir, '--no-nmi', '--save-model-prefix', 'none',
                      '--steps', '0', *extra, epochs=epochs, batch_size=batch_size)
    summary = run(script, argv)
    before, after = summary['pretrain']['R@1']['mean'], summary['best']['R@1']['mean']
    print('%s %s: R@1 %.2f -> %.2f' % (script.name, ' '.join(map(str, extra)), before, after))
    return before, after, summary

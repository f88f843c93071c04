"""Mean and standard deviation of the runs of one script invocation."""
import numpy as np


def summarize(results):
    """Per metric: mean and std over runs before training, at the best and at the last epoch.

    The std is the sample standard deviation (ddof=1); 0 for a single run.
    """
    metrics = list(results[0].best)
    summary = {'runs': len(results), 'metrics': metrics, 'selection': results[0].selection,
               'best_epochs': [r.best_epoch for r in results]}
    for stage in ('pretrain', 'best', 'last', 'selected'):
        rows = [getattr(r, stage) for r in results]
        if any(row is None for row in rows):
            continue
        names = [m for m in metrics if m in rows[0]]  # a validation split may have fewer R@K
        values = np.array([[row[m] for m in names] for row in rows], dtype=np.float64)
        std = values.std(axis=0, ddof=1) if len(values) > 1 else np.zeros(len(names))
        summary[stage] = {m: {'mean': float(mu), 'std': float(sd)}
                          for m, mu, sd in zip(names, values.mean(axis=0), std)}
    return summary


def format_summary(summary):
    """A small text table: one row per stage, ``mean ± std`` per metric."""
    metrics = summary['metrics']
    if summary.get('selection') == 'validation':
        labels = {'pretrain': 'before training (validation)',
                  'selected': 'chosen epoch (validation)',
                  'best': 'chosen epoch (test)', 'last': 'last epoch (validation)'}
    else:
        labels = {'pretrain': 'before training', 'best': 'best epoch (test R@1)',
                  'last': 'last epoch'}
    width = max(len(v) for v in labels.values())
    lines = ['Average of %d run(s), mean ± std:' % summary['runs'],
             ' ' * width + ''.join('%16s' % m for m in metrics)]
    for stage, label in labels.items():
        if stage in summary:
            cells = ['%7.2f ± %5.2f' % (summary[stage][m]['mean'], summary[stage][m]['std'])
                     if m in summary[stage] else '-' for m in metrics]
            lines.append(label.ljust(width) + ''.join('%16s' % c for c in cells))
    return '\n'.join(lines)

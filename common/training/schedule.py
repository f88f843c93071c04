"""The playground's step learning-rate schedule (``--steps``, ``--factor``)."""


def parse_steps(steps, epochs):
    """Epochs (1-indexed) at which the learning rate is multiplied by the factor.

    ``'20,30,40'`` lists them; ``'0'`` means no decay; a negative first value
    ``-s`` means every s epochs below ``epochs`` (s, 2s, ...; for s = 1 the
    first decay is at epoch 2, since epoch 1 must run at the base rate).
    """
    text = str(steps).strip()
    try:
        values = [int(v) for v in text.split(',') if v.strip()]
    except ValueError:
        raise ValueError('--steps %r: expected comma-separated epochs such as 20,30,40, 0 for '
                         'no decay, or -N for every N epochs' % steps)
    if not values or values == [0]:
        return []
    if values[0] < 0:
        if len(values) > 1:
            raise ValueError('--steps %r: a periodic schedule takes a single -N' % steps)
        period = -values[0]
        return list(range(max(period, 2), epochs, period))
    if any(v <= 0 for v in values):
        raise ValueError('--steps %r: epochs must be positive' % steps)
    return sorted(values)


def lr_at_epoch(base_lr, epoch, steps, factor):
    """``base_lr * factor ** (number of steps <= epoch)`` for 1-indexed ``epoch``."""
    return base_lr * factor ** sum(1 for s in steps if epoch >= s)

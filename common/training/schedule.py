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


class Plateau:
    """Halve (``factor``) the learning rate when the training loss has not improved for
    ``patience`` epochs, and stop after ``stop_patience`` epochs without improvement
    (PyTorch's ReduceLROnPlateau and early stopping, as the SST authors trained)."""

    def __init__(self, factor=0.5, patience=5, stop_patience=15):
        self.factor, self.patience, self.stop_patience = factor, patience, stop_patience
        self.best, self.since_best, self.since_cut, self.scale = float('inf'), 0, 0, 1.0

    def update(self, loss):
        if loss < self.best:
            self.best, self.since_best, self.since_cut = loss, 0, 0
        else:
            self.since_best += 1
            self.since_cut += 1
            if self.since_cut > self.patience:
                self.scale *= self.factor
                self.since_cut = 0
        return self.scale

    @property
    def exhausted(self):
        return self.since_best >= self.stop_patience

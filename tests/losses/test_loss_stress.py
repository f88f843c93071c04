"""Every loss configuration stays finite on random and degenerate batches (a short version
of bench/stress_losses.py; the generators and configurations are in stress_batches.py)."""
import pytest
from mxnet.gluon import HybridBlock

import stress_batches as sb

# 17 rounds of the generators per configuration: ~40 s for the whole file on one core.
BATCHES = 17 * len(sb.GENERATORS)
SEED = 20240601


def failures(result):
    return '%s\nper generator (batches, non-finite loss, non-finite grad): %s' % (
        sb.describe_failure(result), {g: tuple(c) for g, c in result.counts.items()})


# A stress run (about a minute for all configurations on 2 cores): slow. The fast tests keep
# each loss's own degenerate-batch checks and the proof below that the check can fail.
@pytest.mark.slow
@pytest.mark.parametrize('config', sb.CONFIGS, ids=[c[0] for c in sb.CONFIGS])
def test_loss_is_finite_on_stress_batches(config):
    result = sb.stress(sb.build_case(config), BATCHES, SEED)
    assert all(c[0] >= 17 for c in result.counts.values())   # every generator ran
    assert result.failure is None, failures(result)


class LogOfSmallestNorm(HybridBlock):
    """Broken on purpose: log(0) as soon as the batch has a zero row."""

    def hybrid_forward(self, F, x, labels):
        return F.log(F.min(F.sum(F.square(x), axis=1)))


@pytest.mark.filterwarnings('ignore:The 1-th input')  # the block ignores the labels
def test_the_check_reports_a_broken_block():
    block = LogOfSmallestNorm()
    block.hybridize()
    case = sb.Case('log of the smallest norm', block, 'shuffled', None, dim=8, classes=10)
    result = sb.stress(case, 2 * len(sb.GENERATORS), SEED)
    bad = {g for g, c in result.counts.items() if c[1] or c[2]}
    assert bad == {'zero rows'}
    assert result.counts['zero rows'][1:] == [2, 2]       # -inf loss, NaN gradient
    first = [name for name, _, _ in sb.GENERATORS].index('zero rows')   # its first batch
    assert result.failure == ('zero rows', first)
    message = sb.describe_failure(result)
    assert "log of the smallest norm" in message and "'zero rows'" in message
    assert 'seed %d' % SEED in message

"""Lifted structured loss (Song et al., CVPR 2016), as in the DML playground, and two later
per-anchor forms of it.

Unnormalised 64-d embedding on shuffled batches. ``--lifted-form`` picks the loss:

* ``smooth`` (default): the paper's smooth upper bound that the paper trains and the
  playground computes (the two are the same loss in different bookkeeping), margin
  ``--margin`` (1) on Euclidean distances;
* ``hard``: the paper's structured loss with only the hardest negative of either end of
  a pair (``--margin`` as above);
* ``deep-metric``: the "modified" lifted loss of the Deep_Metric code, per anchor
  2/beta log sum_p exp(-beta S_ap) + 2/alpha log sum_n exp(alpha S_an) on the cosine
  similarities of the L2-normalised embeddings, no hinge, summed over the anchors and
  divided by the batch size; ``--alpha`` (40), ``--beta`` (2);
* ``generalized``: Hermans et al.'s (2017) generalised lifted loss, per anchor
  [log sum_p exp(D_ap) + log sum_n exp(m - D_an)]_+ on Euclidean distances, averaged over
  the anchors; ``--neg-margin`` m (1).

Anchors without a positive or a negative (frequent in shuffled batches) contribute 0. An
option of another form than the chosen one is refused.
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.loss_options import LossChoice
from common.losses import DeepMetricLiftedLoss, GeneralizedLiftedLoss, LiftedStructLoss
from common.losses.lifted import FORMS as SONG_FORMS
from common.training import Recipe

# --lifted-form -> the options of its loss. Song et al.'s two forms are one loss.
SONG = LossChoice.unset(LiftedStructLoss, ['margin'], SONG_FORMS)
FORM = LossChoice('--lifted-form', dict(
    {form: (SONG, None, {'form': form}) for form in SONG_FORMS},
    **{'deep-metric': (LossChoice.unset(DeepMetricLiftedLoss, ['alpha', 'beta'],
                                        ['deep-metric']), None, {}),
       'generalized': (LossChoice.unset(GeneralizedLiftedLoss, ['neg_margin'],
                                        ['generalized']), None, {})}),
    default='smooth', help_text='smooth: Song et al.\'s Eq. 4 (the playground\'s); hard: their '
    'Eq. 3, the hardest negative only; deep-metric: the Deep_Metric code\'s cosine form; '
    'generalized: Hermans et al.\'s per-anchor form')


class LiftedStruct(Recipe):
    """Lifted structured loss."""
    name = 'liftedstruct'
    defaults = dict(batch_size=128, epochs=60, lr=1e-4, factor=0.5, wd=1e-5, steps='20,30,40')
    loss_choice = FORM
    loss_options = FORM.options


if __name__ == '__main__':
    LiftedStruct().main()

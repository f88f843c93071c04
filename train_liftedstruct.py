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
from common.loss_options import LossOptions, constructor_default, documented_parameters
from common.losses import DeepMetricLiftedLoss, GeneralizedLiftedLoss, LiftedStructLoss
from common.losses.lifted import FORMS as SONG_FORMS
from common.training import Recipe


def form_options(loss, parameters, forms):
    """The options of ``loss`` for the forms ``forms``: left at None when not given, so that
    one given with another form can be refused; the help states the loss's default."""
    helps = {name: '%s (--lifted-form %s; %g if not given)' % (
        documented_parameters(loss)[name][1].rstrip('.'), ' or '.join(forms),
        constructor_default(loss, name)) for name in parameters}
    return LossOptions(loss, parameters, defaults=dict.fromkeys(parameters), helps=helps)


# --lifted-form -> the options of its loss. Song et al.'s two forms are one loss.
SONG = form_options(LiftedStructLoss, ['margin'], SONG_FORMS)
DEEP_METRIC = form_options(DeepMetricLiftedLoss, ['alpha', 'beta'], ['deep-metric'])
GENERALIZED = form_options(GeneralizedLiftedLoss, ['neg_margin'], ['generalized'])
FORM_OPTIONS = dict({form: SONG for form in SONG_FORMS}, **{'deep-metric': DEEP_METRIC,
                                                            'generalized': GENERALIZED})


class LiftedStruct(Recipe):
    """Lifted structured loss."""
    name = 'liftedstruct'
    defaults = dict(batch_size=128, epochs=60, lr=1e-4, factor=0.5, wd=1e-5, steps='20,30,40')
    loss_options = (SONG, DEEP_METRIC, GENERALIZED)

    def add_options(self, parser):
        parser.add_argument('--lifted-form', default='smooth', choices=list(FORM_OPTIONS),
                            help='smooth: Song et al.\'s Eq. 4 (the playground\'s); hard: '
                                 'their Eq. 3, the hardest negative only; deep-metric: the '
                                 'Deep_Metric code\'s cosine form; generalized: Hermans et '
                                 'al.\'s per-anchor form')

    def check_options(self, parser, args):
        super().check_options(parser, args)
        chosen = FORM_OPTIONS[args.lifted_form]
        for options in self.loss_options:
            if options is chosen:
                continue
            for name, value in options.values(args).items():
                if value is not None:
                    parser.error('%s does not apply to --lifted-form %s' % (
                        options.flags[name], args.lifted_form))

    def derived_options(self, args):
        # The chosen form's options left out take the loss's defaults (and are recorded so).
        chosen = FORM_OPTIONS[args.lifted_form]
        return {chosen.dest(name): constructor_default(chosen.loss, name)
                for name, value in chosen.values(args).items() if value is None}

    def build_loss(self, args, dataset):
        chosen = FORM_OPTIONS[args.lifted_form]
        extra = {'form': args.lifted_form} if chosen is SONG else {}
        return chosen.build(args, **extra)


if __name__ == '__main__':
    LiftedStruct().main()

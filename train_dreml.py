"""Deep randomized ensembles (DREML, Xuan et al., ECCV 2018), as in the DML playground.

-L members, each a fresh pretrained backbone with a -D-dimensional proxy head
trained (ProxyNCA by default) to tell apart D meta-classes, a random
grouping of the training classes drawn anew for each member. The test
embedding concatenates the members' L2-normalised embeddings (L x D
dimensions) and is compared by cosine distance. Members are trained one after
another; after each, the ensemble so far is evaluated. Finished members
(embeddings, and parameters unless --save-model-prefix is none) are kept in
<results-dir>/dreml_members/, and --resume continues an interrupted run from
there. Per member: 12 epochs, Adam (lr 0.01, epsilon 1e-2), decay x0.1 every
4 epochs, shuffled batches of 128, images force-resized to 246 (at 224 px).
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.context import seed_everything
from common.evaluation import l2_normalized
from common.losses.softmax import SoftmaxCrossEntropyLoss
from common.models import PLAYGROUND_HEAD_INIT, EmbeddingHead
from common.records import disabled, with_postfix
from common.training import TrainingScript
from common.training.checkpoint import MAY_CHANGE_ON_RESUME, resumable_config
from common.training.ensemble import (
    MemberStore,
    concatenate,
    first_best,
    meta_class_maps,
    with_changes,
)
from common.training.loop import RunResult, format_metrics
from common.training.proxy_options import add_proxy_loss_options, build_proxy_loss, proxy_head_init

# Options that do not change what a member computes, so a run may resume with other values.
NOT_IN_STATE = MAY_CHANGE_ON_RESUME | {'nmi', 'skip_pretrain_validation', 'eval_every',
                                       'number_of_runs'}


class DREML(TrainingScript):
    """Deep randomized ensembles over meta-classes."""
    name = 'dreml'
    defaults = dict(batch_size=128, epochs=12, lr=0.01, factor=0.1, wd=5e-4, steps='-4')
    train_resize = 246
    clip_gradient = None
    eval_metric = 'cosine'

    def add_options(self, parser):
        add_proxy_loss_options(parser, loss='nca')
        parser.add_argument('-L', '--number-of-ensembles', type=int, default=48,
                            help='ensemble members')
        parser.add_argument('-D', '--meta-classes', type=int, default=12,
                            help='meta-classes per member (and its embedding dimension)')
        parser.add_argument('--static-proxies', action='store_true',
                            help='plain softmax over D unnormalised outputs instead of proxies')

    def check_args(self, parser, args):
        super().check_args(parser, args)
        if args.number_of_ensembles < 1:
            parser.error('-L/--number-of-ensembles must be at least 1')
        if args.meta_classes < 2:
            parser.error('-D/--meta-classes must be at least 2')
        # Members embed into D dimensions each; what is evaluated (and recorded) is the
        # ensemble's L x D.
        args.embed_dim = args.meta_classes * args.number_of_ensembles

    def head_initializer(self, args):
        return PLAYGROUND_HEAD_INIT if args.static_proxies else proxy_head_init(args)

    def build_head(self, args, dataset):
        # Proxy members are L2-normalised; softmax members output raw logits.
        return EmbeddingHead(args.meta_classes, normalize=not args.static_proxies)

    def build_loss(self, args, dataset):
        if args.static_proxies:
            return SoftmaxCrossEntropyLoss(args.meta_classes, args.label_smooth)
        return build_proxy_loss(args, args.meta_classes, args.meta_classes)

    def member_folder(self, args, run):
        """dreml_members[_<postfix>][_run<r>], in --results-dir."""
        name = with_postfix('dreml_members', args.log_postfix)
        return name + '_run%d' % run if args.number_of_runs > 1 else name

    def _run_once(self, args, rec, run, contexts, dataset, transform, evaluators, steps,
                  training_state=None):
        # With a validation split, members embed it and the test split(s): the ensemble size
        # is chosen on the former and the latter scored once, at the end.
        select, test = evaluators
        chosen = slice(0, len(select.loaders))
        seed = args.seed + run - 1
        classes, count = dataset.train.num_classes, args.number_of_ensembles
        if args.meta_classes > classes:
            raise ValueError('-D %d meta-classes, but the training split has only %d classes'
                             % (args.meta_classes, classes))
        maps = meta_class_maps(classes, count, args.meta_classes, seed)
        config = resumable_config(args, NOT_IN_STATE)
        config.update(run=run, train_images=len(dataset.train), train_classes=classes)
        store = MemberStore(args.results_dir, self.member_folder(args, run), config, args.resume)
        rec.info('Starting run %d/%d (seed %d): %d members, %d meta-classes each, in %s', run,
                 args.number_of_runs, seed, count, args.meta_classes, store.folder)
        members, history, pretrain = [], [], store.pretrain
        for m in range(count):
            if store.is_finished(m):
                members.append(store.load(m))
                history.append(store.metrics[m])
                rec.info('Member %d/%d restored from %s', m + 1, count, store.folder)
                continue
            member_seed = seed * 1000 + m
            seed_everything(member_seed)
            train = dataset.train.relabeled(
                maps[m][dataset.train.labels],
                ['meta-class %d' % d for d in range(args.meta_classes)])
            # The ensemble is evaluated once per member, after its last epoch.
            member_args = with_changes(
                args, eval_every=args.epochs,
                skip_pretrain_validation=args.skip_pretrain_validation or m > 0)
            latest = {}

            def evaluate_member(net):
                latest['embedded'] = [(l2_normalized(e), y) for evaluator in (select, test)
                                      if evaluator for e, y in evaluator.embed(net)]
                return select.score(concatenate(members + [latest['embedded']])[chosen])

            rec.info('Member %d/%d (seed %d)', m + 1, count, member_seed)
            state, result = self.train_network(
                member_args, rec, run, member_seed, contexts,
                dataset.with_train(train), transform, evaluate_member, steps, None,
                tags={'member': m + 1})
            pretrain = result.pretrain if m == 0 else pretrain
            members.append(latest['embedded'])
            history.append(result.last)
            store.save(m, latest['embedded'], result.last,
                       None if disabled(args.save_model_prefix) else state.net, pretrain)
            rec.info('Ensemble of %d/%d members: %s', m + 1, count, format_metrics(result.last))
            rec.write('member', run=run, member=m + 1, seed=member_seed, metrics=result.last)
        best_size = first_best(history)
        ensemble = concatenate(members[:best_size])
        selected, best = None, history[best_size - 1]
        if test is not None:
            selected, best = best, test.score(ensemble[chosen.stop:])
            ensemble = ensemble[chosen.stop:]
            rec.info('Test split with the %d members chosen on validation: %s', best_size,
                     format_metrics(best))
        selection = 'test' if test is None else 'validation'
        rec.info('Run %d finished: %d members give %s; the best R@1 %.2f came with %d', run,
                 count, format_metrics(history[-1]), history[best_size - 1]['R@1'], best_size)
        rec.write('run', run=run, seed=seed, best_epoch=best_size, best=best, last=history[-1],
                  pretrain=pretrain, best_is='ensemble size', selection=selection,
                  selected=selected)
        return RunResult(run, pretrain, best_size, best, history[-1], history, selection,
                         selected, ensemble if args.save_embeddings else None)


if __name__ == '__main__':
    DREML().main()

"""Loss options made from the loss constructors: names, defaults, help, checks, errors."""
import glob
import os

import pytest

from common.loss_options import PLAYGROUND_FLAGS, LossOptions, documented_parameters
from common.losses import AngularLoss, NCALoss, RankedListLoss, StochasticSymmetricTripletLoss
from common.losses.parameters import ParameterError
from common.training.recipe import load_recipe
from script_runs import ROOT, glyph_argv

SCRIPTS = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, 'train_*.py')))


def test_the_docstring_states_each_parameter_with_its_type_and_meaning():
    documented = documented_parameters(AngularLoss)
    assert documented['alpha'] == ('float', 'the angle bound in degrees.')
    # Inherited from the N-pair base, continuation lines joined.
    assert documented['l2_reg'][0] == 'float' and documented['symmetric'][0] == 'bool'
    assert documented_parameters(RankedListLoss)['detach_weights'] == (
        'bool', 'no gradient through the negative weights (the paper).')


def test_options_take_the_loss_defaults_unless_the_script_sets_its_own(tmp_path):
    import argparse
    parser = argparse.ArgumentParser()
    LossOptions(NCALoss, ['scale'], defaults={'scale': 8.0}).add_to(parser)
    LossOptions(AngularLoss, ['alpha', 'l2_reg', 'symmetric']).add_to(parser)
    args = parser.parse_args([])
    assert (args.scale, args.alpha, args.l2reg_weight, args.symmetric_loss) == (8.0, 45.0,
                                                                               5e-4, False)
    help_text = parser.format_help()
    assert '--l2reg-weight' in help_text and 'the L2 penalty on the (unnormalised)' in help_text
    with pytest.raises(TypeError, match="'margin' has no \"Parameters:\" entry"):
        LossOptions(NCALoss, ['margin'])


@pytest.mark.parametrize('script', SCRIPTS)
def test_every_scripts_loss_options_keep_the_playgrounds_names(script):
    recipe = load_recipe(os.path.join(ROOT, script))
    for options in recipe.loss_options:
        table = {}
        for klass in reversed(options.loss.__mro__):
            table.update(PLAYGROUND_FLAGS.get(klass, {}))
        for name in options.parameters:
            assert options.flags[name] == table.get(name, '--' + name.replace('_', '-'))
    args = recipe.parse_args(['--dataset', 'glyphs', '--lr', '1e-3'])
    for options in recipe.loss_options:
        assert set(options.values(args)) == set(options.parameters)


@pytest.mark.parametrize('script,argv,message', [
    ('train_sst.py', ['--n-targets', '0'], '--n-targets must be an integer >= 1 (got 0)'),
    ('train_angular.py', ['--alpha', '95'], '--alpha must be between 0 and 90 (got 95.0)'),
    ('train_rankedlistloss.py', ['--margin', '2'],
     '--margin must be at most alpha (1.2) (got 2.0)'),
    ('train_proxy.py', ['--label-smooth', '1'], '--label-smooth must be in [0, 1) (got 1.0)'),
    ('train_clusterloss.py', ['--margin-multiplier', '-1'],
     '--margin-multiplier must be >= 0 (got -1.0)'),
    ('train_prototype.py', ['--nc', '1'], '--nc must be an integer >= 2 (got 1)'),
    ('train_discriminative.py', ['--loss-scale', '0'], '--loss-scale must be positive (got 0.0)'),
    ('train_dr.py', ['--dr-sign', '2'], 'invalid choice: 2.0'),
    ('train_hphn_ee.py', ['--n-inner-pts', '-1'], '--n-inner-pts must be an integer >= 0'),
    ('train_liftedstruct.py', ['--lifted-form', 'deep-metric', '--beta', '0'],
     '--beta must be positive (got 0.0)'),
    # An option of another lifted form than the chosen one.
    ('train_liftedstruct.py', ['--alpha', '30'], '--alpha does not apply to --lifted-form smooth'),
    ('train_liftedstruct.py', ['--lifted-form', 'generalized', '--margin', '1'],
     '--margin does not apply to --lifted-form generalized'),
    ('train_liftedstruct.py', ['--lifted-form', 'deep-metric', '--neg-margin', '1'],
     '--neg-margin does not apply to --lifted-form deep-metric'),
])
def test_bad_loss_options_are_refused_when_parsed_naming_the_option(script, argv, message,
                                                                    tmp_path, capsys):
    recipe = load_recipe(os.path.join(ROOT, script))
    with pytest.raises(SystemExit):
        recipe.parse_args(glyph_argv('unused', tmp_path, *argv))
    assert message in capsys.readouterr().err


def test_a_refusal_when_the_loss_is_built_names_the_option_too():
    options = LossOptions(StochasticSymmetricTripletLoss, ['n_targets'])
    args = type('Args', (), {'n_targets': 0})()
    with pytest.raises(ValueError, match=r'^--n-targets must be an integer >= 1 \(got 0\)$'):
        options.build(args)
    # The library itself names the parameter.
    with pytest.raises(ParameterError, match=r'^n_targets must be an integer >= 1'):
        StochasticSymmetricTripletLoss(0)


def test_no_loss_names_a_command_line_option():
    """The library speaks of parameters; only the command-line layer knows the options."""
    for path in glob.glob(os.path.join(ROOT, 'common', 'losses', '*.py')):
        text = open(path).read()
        assert "'--" not in text and '"--' not in text, path

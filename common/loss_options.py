"""Command-line options made from the loss constructors, so that each is declared once.

A loss states its parameters once: their defaults in its constructor, their
meaning in the ``Parameters:`` section of its docstring (``name (type): text``)
and their ranges in its ``parameter_checks``. A script picks the parameters it
offers as options (:class:`LossOptions`); their names are the playground's
where the playground had the option (:data:`PLAYGROUND_FLAGS`), else the
parameter's. The options are checked as they are parsed, by the loss's own
checks, and every error names the option.
"""
import ast
import contextlib
import inspect
import re

from .losses import (
    DirectionRegularizer,
    DiscriminativeLoss,
    FacilityLocationLoss,
    LoOpMultiSimilarityLoss,
    MultiSimilarityLoss,
    PrototypeLoss,
)
from .losses.multi_similarity import OFFICIAL_CODE
from .losses.npair import PairLoss
from .losses.parameters import ParameterError, check_parameters
from .losses.proxies import ProxyLoss
from .losses.softmax import SoftmaxCrossEntropyLoss

# Loss parameter -> the playground's option, where the two names differ (the mapping table).
PLAYGROUND_FLAGS = {
    ProxyLoss: {'scale': '--embedding-multiplier', 'smoothing': '--label-smooth'},
    SoftmaxCrossEntropyLoss: {'smoothing': '--label-smooth'},
    PairLoss: {'l2_reg': '--l2reg-weight', 'symmetric': '--symmetric-loss'},
    FacilityLocationLoss: {'gamma': '--margin-multiplier'},
    PrototypeLoss: {'num_classes': '--nc', 'num_support': '--ns', 'num_query': '--nq'},
    MultiSimilarityLoss: {'alpha': '--ms-alpha', 'beta': '--ms-beta', 'base': '--ms-base',
                          'epsilon': '--ms-epsilon'},
    # Not the playground's, but named as multi-similarity's options are everywhere else.
    LoOpMultiSimilarityLoss: {'alpha': '--ms-alpha', 'beta': '--ms-beta', 'base': '--ms-base',
                              'epsilon': '--ms-epsilon'},
    DiscriminativeLoss: {'scale': '--loss-scale'},
    DirectionRegularizer: {'angle': '--dr-angle', 'sign': '--dr-sign'},
}
# Loss parameters that the scripts set from a shared option rather than a loss option.
SHARED_FLAGS = {'embed_dim': '--embed-dim'}
_DOC_LINE = re.compile(r'^(\s+)(\w+) \(([^)]*)\): (.*)$')
_TYPES = {'float': float, 'int': int, 'str': str}


def documented_parameters(cls):
    """{parameter: (type text, description)} from the ``Parameters:`` sections of the
    docstrings of ``cls`` and its bases (the nearest class's text wins)."""
    found = {}
    for klass in reversed(cls.__mro__):
        lines = inspect.cleandoc(klass.__dict__.get('__doc__') or '').splitlines()
        if 'Parameters:' not in lines:
            continue
        current, indent = None, None
        for line in lines[lines.index('Parameters:') + 1:]:
            match = _DOC_LINE.match(line)
            if match and indent in (None, match.group(1)):
                indent, current = match.group(1), match.group(2)
                found[current] = (match.group(3), match.group(4))
            elif current and line.startswith(indent + ' '):   # the description goes on
                kind, text = found[current]
                found[current] = (kind, text + ' ' + line.strip())
            else:
                break
    return found


def constructor_default(cls, name):
    """The default of parameter ``name`` in the nearest constructor of ``cls`` that names it
    (a subclass may pass it on in ``**kwargs``)."""
    for klass in cls.__mro__:
        parameters = inspect.signature(klass.__init__).parameters
        if name in parameters:
            return parameters[name].default
    raise TypeError('%s: no constructor takes %r' % (cls.__name__, name))


def _parameter_flags(cls):
    flags = {}
    for klass in reversed(cls.__mro__):
        flags.update(PLAYGROUND_FLAGS.get(klass, {}))
    return flags


class LossOptions:
    """The options of some parameters of ``loss`` (a class), for one script.

    ``defaults`` holds the script's defaults where they are not the constructor's;
    ``helps`` replaces a docstring description."""

    def __init__(self, loss, parameters, defaults=None, helps=None):
        self.loss, self.parameters = loss, list(parameters)
        documented, flags = documented_parameters(loss), _parameter_flags(loss)
        self.flags, self.specs = {}, {}
        for name in self.parameters:
            if name not in documented:
                raise TypeError('%s: parameter %r has no "Parameters:" entry in its docstring'
                                % (loss.__name__, name))
            default = (defaults or {}).get(name, constructor_default(loss, name))
            if default is inspect.Parameter.empty:
                raise TypeError('%s: parameter %r needs a default from the script'
                                % (loss.__name__, name))
            kind, text = documented[name]
            self.flags[name] = flags.get(name, '--' + name.replace('_', '-'))
            self.specs[name] = self._spec(kind, default,
                                          (helps or {}).get(name, text).rstrip('.'))

    @staticmethod
    def _spec(kind, default, help_text):
        """add_argument keywords for a documented type: float, int, str, bool, one of ..."""
        if kind == 'bool':
            return dict(action='store_true', help=help_text)
        spec = dict(default=default, help=help_text)
        if kind.startswith('one of '):
            choices = list(ast.literal_eval('(%s,)' % kind[len('one of '):]))
            return dict(spec, type=type(choices[0]), choices=choices)
        return dict(spec, type=_TYPES[kind])

    def dest(self, name):
        return self.flags[name][2:].replace('-', '_')

    def add_to(self, parser):
        for name in self.parameters:
            parser.add_argument(self.flags[name], **self.specs[name])

    def values(self, args):
        """{parameter: its option's value} (None for an option left at a None default)."""
        return {name: getattr(args, self.dest(name)) for name in self.parameters}

    def check(self, parser, args):
        """The loss's own checks on the options, as one-line parser errors naming them."""
        try:
            check_parameters(self.loss, **self.values(args))
        except ParameterError as e:
            parser.error(self.message(e))

    def message(self, error):
        flag = self.flags.get(error.parameter) or SHARED_FLAGS.get(error.parameter)
        return error.message(flag or error.parameter)

    @contextlib.contextmanager
    def naming_options(self):
        """Within the block a refused parameter is reported by its option's name."""
        try:
            yield
        except ParameterError as e:
            raise ValueError(self.message(e)) from None

    def build(self, args, *positional, loss=None, **extra):
        """``loss(*positional, **the options, **extra)`` (``loss``: a subclass of the
        declared one); a refused parameter is named by its option."""
        with self.naming_options():
            return (loss or self.loss)(*positional, **dict(self.values(args), **extra))


# Multi-similarity's options, shared by its script and Direction Regularization's.
MULTI_SIMILARITY = LossOptions(MultiSimilarityLoss, ['alpha', 'beta', 'base', 'epsilon'])


def add_official_switch(parser):
    """``--ms-official``: multi-similarity with its official code's values."""
    parser.add_argument('--ms-official', action='store_true',
                        help='the official code\'s alpha 2, beta 40, lambda 0.5 instead')


def multi_similarity_values(args):
    """The loss's alpha, beta, base and epsilon: the options, or the official code's."""
    return dict(OFFICIAL_CODE) if args.ms_official else MULTI_SIMILARITY.values(args)


class LossChoice:
    """One option (``--lifted-form``, ``--loss``) that picks a loss among several, each with
    options of its own.

    ``choices`` maps each value to ``(options, loss, fixed)``: the :class:`LossOptions`
    the chosen loss takes (one object may serve several values, e.g. a ``--margin``
    that several losses share), the loss class to build (None: the options' own) and
    fixed keyword arguments. The losses' options are left at None when not given, so
    that an option of a loss that was not chosen is refused by name; the chosen loss's
    options left out take its constructor's defaults, which the run records.
    """

    def __init__(self, flag, choices, default, help_text):
        self.flag, self.choices, self.default, self.help = flag, dict(choices), default, help_text

    @staticmethod
    def unset(loss, parameters, values):
        """:class:`LossOptions` of ``loss`` with None defaults, whose help names the values
        of the choice they apply to and the default they take there."""
        documented = documented_parameters(loss)
        helps = {name: '%s (%s; %g if not given)' % (
            documented[name][1].rstrip('.'), ' or '.join(values), constructor_default(loss, name))
            for name in parameters}
        return LossOptions(loss, parameters, defaults=dict.fromkeys(parameters), helps=helps)

    @property
    def options(self):
        """Every :class:`LossOptions` of the choices, once each: a script's ``loss_options``."""
        found = []
        for options, _, _ in self.choices.values():
            if not any(options is seen for seen in found):
                found.append(options)
        return tuple(found)

    def dest(self):
        return self.flag[2:].replace('-', '_')

    def add_to(self, parser):
        parser.add_argument(self.flag, default=self.default, choices=list(self.choices),
                            help=self.help)

    def chosen(self, args):
        """``(options, loss class, fixed keywords)`` of the value in ``args``."""
        options, loss, fixed = self.choices[getattr(args, self.dest())]
        return options, loss or options.loss, fixed

    def check(self, parser, args):
        """Refuses an option of a loss that was not chosen, naming both."""
        chosen = self.chosen(args)[0]
        for options in self.options:
            if options is chosen:
                continue
            for name, value in options.values(args).items():
                if value is not None:
                    parser.error('%s does not apply to %s %s' % (
                        options.flags[name], self.flag, getattr(args, self.dest())))

    def derived(self, args):
        """{dest: default} of the chosen loss's options left out."""
        options, loss, _ = self.chosen(args)
        return {options.dest(name): constructor_default(loss, name)
                for name, value in options.values(args).items() if value is None}

    def build(self, args, *positional, **extra):
        """The chosen loss with its options."""
        options, loss, fixed = self.chosen(args)
        return options.build(args, *positional, loss=loss, **dict(fixed, **extra))

"""Training: the recipe a script declares, the runner of an invocation, the loop (once, for
every script), schedules, optimisers and run summaries."""
from .loop import NonFiniteError, RunResult, RunState, fit
from .optim import ParamGroup, make_trainer, optimizer_options
from .recipe import Recipe
from .run_setup import BatchSize
from .runner import Runner
from .schedule import lr_at_epoch, parse_steps

__all__ = ['BatchSize', 'NonFiniteError', 'ParamGroup', 'Recipe', 'RunResult', 'RunState',
           'Runner', 'fit', 'lr_at_epoch', 'make_trainer', 'optimizer_options', 'parse_steps']

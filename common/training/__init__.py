"""The training loop (once, for every script), schedules, optimisers and run summaries."""
from .loop import NonFiniteError, RunResult, RunState, fit
from .optim import ParamGroup, make_trainer, optimizer_options
from .schedule import lr_at_epoch, parse_steps
from .script import TrainingScript

__all__ = ['TrainingScript', 'ParamGroup', 'RunState', 'RunResult', 'NonFiniteError', 'fit',
           'make_trainer', 'optimizer_options', 'parse_steps', 'lr_at_epoch']

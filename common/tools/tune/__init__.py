"""Hyper-parameter search of a training script on class-disjoint validation folds (Optuna).

* :mod:`.space`: the script's search space, a ``--space`` file over it, sampling;
* :mod:`.objective`: one trial, its folds trained through the script's runner and loop;
* :mod:`.storage`: the study's database, the trial-seeded TPE sampler, the median pruner;
* :mod:`.report`: the trials table and Optuna's plots;
* ``__main__``: ``python -m common.tools.tune run|best|report``.
"""

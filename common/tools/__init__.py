"""The command-line tools over the library: each runs with ``python -m common.tools.<name>``.

* :mod:`.kanji_benchmark`: the CPU benchmark, every training script on kanji (``run``,
  ``report``);
* :mod:`.study`: an embedding-size or batch-size study of one training script;
* :mod:`.tune`: an Optuna hyper-parameter study of one training script on class-disjoint
  validation folds (``run``, ``best``, ``report``);
* :mod:`.run_commands`: running such lists of training commands, resumably;
* :mod:`.reports`: the run table, leaderboard and plots from the records on disk;
* :mod:`.visualize`: a retrieval grid or a t-SNE map of saved test embeddings;
* :mod:`.resize_cache`: a pre-resized copy of a dataset folder;
* :mod:`.export`: a finished run's network as a folder that loads without the toolkit;
* :mod:`.index`: a faiss index of an image collection embedded by an exported model, its
  queries and its Recall@K.

The tools use the library (records, data, evaluation); the library never imports them.
The old names (``python -m common.benchmark``, ``common.study``, ``common.reports...``,
``common.visualize``, ``common.data.resize_cache``) are kept as aliases.
"""

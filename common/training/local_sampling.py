"""Local (neighbourhood) sampling: batches are clusters of the current embedding space.

Before every epoch the whole training split is embedded with the test-time
transform and clustered by k-means into N // batch_size clusters; each
cluster becomes one batch (Nguyen & De Baets, 2020).
"""
from ..data.samplers import NeighbourhoodBatchSampler
from ..evaluation import kmeans_assign
from .embed import extract_embeddings
from .script import TrainingScript


class LocalSamplingScript(TrainingScript):
    sampler = 'neighbourhood'

    def make_sampler(self, args, split, batch_size, seed, devices=1):
        return NeighbourhoodBatchSampler(split.labels, batch_size, seed)

    def on_epoch_start(self, state):
        args = state.args
        if 'train_embedding_loader' not in state.cache:
            state.cache['train_embedding_loader'] = self.embedding_loader(
                args, state.dataset.train, state.contexts)
        embeddings, _ = extract_embeddings(state.net, state.cache['train_embedding_loader'],
                                           state.contexts)
        clusters = max(1, len(embeddings) // (args.batch_size * len(state.contexts)))
        assignment = kmeans_assign(embeddings, clusters, seed=args.seed + state.epoch)
        batches = state.sampler.set_clusters(assignment)
        state.recorder.info('[Epoch %d] local sampling: %d clusters, %d usable as batches',
                            state.epoch, clusters, batches)

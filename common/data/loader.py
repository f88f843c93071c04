"""Gluon data loaders for training and for embedding a split."""
from mxnet.gluon.data import BatchSampler, DataLoader, SequentialSampler

from .image_dataset import ImageDataset


def train_loader(split, transform, batch_sampler, num_workers=0, use_crops=False):
    return DataLoader(ImageDataset(split, transform, use_crops), batch_sampler=batch_sampler,
                      num_workers=num_workers)


def eval_loader(split, transform, batch_size, num_workers=0, use_crops=False):
    sampler = BatchSampler(SequentialSampler(len(split)), batch_size, 'keep')
    return DataLoader(ImageDataset(split, transform, use_crops), batch_sampler=sampler,
                      num_workers=num_workers)

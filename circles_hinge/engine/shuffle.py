"""The order in which each epoch visits the training part: the one stock `model.fit` uses.

After `keras.utils.set_random_seed(s)`, Keras 3's array adapter draws the epoch's permutation with
`tf.random.shuffle` inside a `tf.data` map function. The global seed fixes that op's seeds to
(s mod 2^31-1, 0) (TensorFlow's `get_seed`: the first random op of a fresh function graph), and every
epoch makes a new iterator, whose kernel starts from the same Philox state: so every epoch of a seeded
`fit` trains on the same permutation. Measured with Keras 3.15.1 and recorded inside `fit`; a test
holds this module to `tf.random.shuffle` and to the batches `fit` really trains on.

This is TensorFlow's RandomShuffle kernel written out in NumPy (Philox4x32-10 from its seeds, one
32-bit word per swap, `word % (n - i)`, Fisher-Yates from the front), for two reasons: it needs no
TensorFlow (so it runs at the door and in any process), and TensorFlow caches a stateful kernel per
seed pair within a process, so asking it twice for seed 42's order gives two different orders.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from circles_hinge.config import Shuffle

SHUFFLE_VALUES: tuple[Shuffle, ...] = (True, "every_epoch", False)
# What each value of training.shuffle matches, in words (the config's description and docs use it).
SHUFFLE_MEANS = {
    True: "one permutation drawn from the seed, reused every epoch: what model.fit(shuffle=True) "
    "does after keras.utils.set_random_seed(seed)",
    "every_epoch": "a new permutation every epoch (the first is true's): what model.fit does "
    "without a global seed, reshuffling each epoch",
    False: "the data's own order every epoch: model.fit(shuffle=False)",
}

_MAXINT32 = 2**31 - 1  # TensorFlow's random_seed._MAXINT32: seeds are taken modulo it
_M32 = np.uint64(0xFFFFFFFF)
_ROUND_MULTIPLIERS = (np.uint64(0xD2511F53), np.uint64(0xCD9E8D57))
_KEY_STEPS = (np.uint64(0x9E3779B9), np.uint64(0xBB67AE85))
# Seeds a chunk at once, bounded so the words of a chunk stay near 16 M (64 MB) for any data size.
_CHUNK_WORDS = 1 << 24


def op_seeds(seed: int) -> tuple[int, int]:
    """The (seed, seed2) pair TensorFlow gives the adapter's shuffle after tf.random.set_seed(seed)."""
    global_seed = seed % _MAXINT32
    return (0, _MAXINT32) if global_seed == 0 else (global_seed, 0)


def philox_words(
    keys: np.ndarray, counters_hi: np.ndarray, first_block: int | np.ndarray, n_words: int
) -> np.ndarray:
    """n_words 32-bit outputs of TensorFlow's PhiloxRandom(seed=keys, seed2=counters_hi) per row,
    starting at 128-bit block `first_block` (one for every row, or one per row): shape
    (len(keys), n_words), uint32."""
    n_blocks = -(-n_words // 4)
    first = np.asarray(first_block, dtype=np.uint64).reshape(-1, 1)
    block = first + np.arange(n_blocks, dtype=np.uint64)[None, :]
    keys, counters_hi = keys.astype(np.uint64)[:, None], counters_hi.astype(np.uint64)[:, None]
    c0, c1 = block & _M32, block >> np.uint64(32)
    c2, c3 = counters_hi & _M32, counters_hi >> np.uint64(32)
    c0, c1, c2, c3 = np.broadcast_arrays(c0, c1, c2, c3)
    k0, k1 = keys & _M32, keys >> np.uint64(32)
    a, b = _ROUND_MULTIPLIERS
    for _ in range(10):
        p0, p1 = a * c0, b * c2  # 32 x 32 -> 64 bits: exact in uint64
        c0, c1, c2, c3 = (
            (p1 >> np.uint64(32)) ^ c1 ^ k0,
            p1 & _M32,
            (p0 >> np.uint64(32)) ^ c3 ^ k1,
            p0 & _M32,
        )
        k0, k1 = (k0 + _KEY_STEPS[0]) & _M32, (k1 + _KEY_STEPS[1]) & _M32
    words = np.stack([c0, c1, c2, c3], axis=-1).reshape(len(keys), -1)[:, :n_words]
    return words.astype(np.uint32)


def _fisher_yates(words: np.ndarray, n: int) -> np.ndarray:
    """TensorFlow's RandomShuffle of range(n) per row of words (rows, n - 1): shape (rows, n) int32."""
    rows = words.shape[0]
    perm = np.broadcast_to(np.arange(n, dtype=np.int32)[:, None], (n, rows)).copy()  # column per row
    spans = np.arange(n, 1, -1, dtype=np.uint32)  # n - i for i = 0 .. n - 2
    targets = (np.arange(n - 1, dtype=np.int64)[:, None] + (words.T % spans[:, None])).astype(np.int64)
    cols = np.arange(rows)
    for i in range(n - 1):
        j = targets[i]
        held = perm[i].copy()
        perm[i] = perm[j, cols]
        perm[j, cols] = held
    return np.ascontiguousarray(perm.T)


def epoch_order(seeds: Sequence[int], n: int, shuffle: Shuffle, epoch: int) -> np.ndarray:
    """The order of epoch `epoch` (1-based) of each seed's n training points: shape (len(seeds), n).

    True: seed s's `tf.random.shuffle` permutation, the same for every epoch. "every_epoch": the
    permutations the same kernel would draw next, one per epoch (epoch 1 is True's). False: 0..n-1."""
    seeds = list(seeds)
    if shuffle is False or n <= 1:
        return np.broadcast_to(np.arange(n, dtype=np.int32), (len(seeds), n)).copy()
    pairs = np.array([op_seeds(s) for s in seeds], dtype=np.uint64).reshape(-1, 2)
    blocks_per_epoch = -(-(n - 1) // 4)  # the kernel reserves ceil((n - 1) / 4) blocks per draw
    first = 0 if shuffle is True else (epoch - 1) * blocks_per_epoch
    chunk = max(1, _CHUNK_WORDS // n)
    parts = [
        _fisher_yates(philox_words(pairs[i : i + chunk, 0], pairs[i : i + chunk, 1], first, n - 1), n)
        for i in range(0, len(seeds), chunk)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, n), dtype=np.int32)

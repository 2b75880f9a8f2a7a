"""Core's random numbers (packages/core/src/random.ts), bit for bit: Threefry-2x32 keys as JAX, the uniform
doubles, Box-Muller normals and the Fisher-Yates permutation the trainer orders its epochs with."""
import math

import numpy as np

MASK32 = 0xFFFFFFFF
_ROT = ((13, 15, 26, 6), (17, 29, 16, 24))

Key = tuple[int, int]


def key(seed: int) -> Key:
    """A key from an integer seed: high word, low word of its 64-bit two's complement."""
    s = seed & 0xFFFFFFFFFFFFFFFF
    return (s >> 32, s & MASK32)


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & MASK32


def threefry2x32(k: Key, x0: int, x1: int) -> tuple[int, int]:
    """Threefry-2x32 with 20 rounds on one counter pair."""
    ks = (k[0] & MASK32, k[1] & MASK32, (k[0] ^ k[1] ^ 0x1BD11BDA) & MASK32)
    a, b = (x0 + ks[0]) & MASK32, (x1 + ks[1]) & MASK32
    for i in range(5):
        for r in _ROT[i % 2]:
            a = (a + b) & MASK32
            b = _rotl(b, r) ^ a
        a = (a + ks[(i + 1) % 3]) & MASK32
        b = (b + ks[(i + 2) % 3] + i + 1) & MASK32
    return a, b


def random_bits(k: Key, n: int) -> list[int]:
    """``n`` uint32 words: the hash of counters 0..n-1, split in two halves as JAX does."""
    half = (n + 1) // 2
    out = [0] * (2 * half)
    for i in range(half):
        out[i], out[i + half] = threefry2x32(k, i, i + half)
    return out[:n]


def split(k: Key, n: int = 2) -> list[Key]:
    bits = random_bits(k, 2 * n)
    return [(bits[2 * i], bits[2 * i + 1]) for i in range(n)]


def fold_in(k: Key, data: int) -> Key:
    return threefry2x32(k, 0, data & MASK32)


def uniform_array(k: Key, n: int) -> list[float]:
    """Uniform doubles in [0, 1) with 53 random bits each."""
    bits = random_bits(k, 2 * n)
    return [((bits[2 * i] >> 5) * 67108864 + (bits[2 * i + 1] >> 6)) / 9007199254740992 for i in range(n)]


def normal(k: Key, shape: tuple[int, ...], std: float = 1.0) -> np.ndarray:
    """Standard normal (Box-Muller) times ``std``, as float32."""
    n = math.prod(shape)
    u = uniform_array(k, 2 * n)
    z = [std * math.sqrt(-2 * math.log(1 - u[2 * i])) * math.cos(2 * math.pi * u[2 * i + 1]) for i in range(n)]
    return np.asarray(z, dtype=np.float64).astype(np.float32).reshape(shape)


def permutation(k: Key, n: int) -> list[int]:
    """A uniformly random permutation of 0..n-1 (Fisher-Yates from the top)."""
    u = uniform_array(k, n)
    p = list(range(n))
    for i in range(n - 1, 0, -1):
        j = math.floor(u[i] * (i + 1))
        p[i], p[j] = p[j], p[i]
    return p


def epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    """The trainer's sample order in ``epoch``: from the seed and the epoch alone (train/loop.ts ``epochOrder``)."""
    return permutation(fold_in(key(seed), epoch), n)

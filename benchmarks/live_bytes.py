"""Peak bytes of live tensor storage during a piece of code, on any device (CPU and ``meta`` included).

Torch's CPU allocator keeps no statistics and ``tracemalloc`` does not see it, so this counts storages
instead: every storage an op returns is added when first seen and subtracted when it is freed (a weak
reference to the storage itself, so tensors that autograd keeps for the backward pass count until it drops
them, and views count once). Storages that exist before the block are counted only if passed in ``held``.
It measures what PyTorch asks for, not what an allocator keeps cached around it.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch.multiprocessing.reductions import StorageWeakRef
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


class LiveBytes(TorchDispatchMode):
    def __init__(self, held: Iterable[torch.Tensor] = ()) -> None:
        super().__init__()
        self._live: dict[int, tuple[StorageWeakRef, int]] = {}
        self.current = 0
        self.peak = 0
        for t in held:
            self._add(t)
        self.start = self.current

    def _add(self, t: torch.Tensor) -> None:
        storage = t.untyped_storage()
        ref = StorageWeakRef(storage)
        if ref.cdata not in self._live:
            self._live[ref.cdata] = (ref, storage.nbytes())
            self.current += storage.nbytes()

    def _sweep(self) -> None:
        for key in [k for k, (ref, _) in self._live.items() if ref.expired()]:
            self.current -= self._live.pop(key)[1]

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        self._sweep()
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                self._add(t)
        self.peak = max(self.peak, self.current)
        return out

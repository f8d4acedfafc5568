"""Finds host↔device synchronisations in code that runs on the CPU, where none can be observed directly.

A CUDA sync happens when the host needs a value or a buffer that the GPU owns (``.item()``, ``float()``,
``.tolist()``, ``.cpu()``, ``.numpy()``: device→host), or when PyTorch copies host memory to the GPU with a
blocking copy (``torch.tensor(x, device=...)``, ``host_tensor.to(device)``: host→device, which waits for the
stream). On a CPU-only machine every tensor lives on the CPU, so "on the device" has to be decided by
*provenance* instead of by ``tensor.device``:

* device tensors are the ones seeded as such (the models' parameters and buffers, the generator's logits, the
  optimiser's state, the tensors the run prepared on its device) and everything computed from at least one of
  them, tracked op by op with a ``TorchDispatchMode`` (so backward passes and in-place ops are covered), plus
  random draws from the run's *device* generator (told apart from the CPU one by its seed);
* every other tensor is a host tensor: factory results, and draws from the CPU generator (τ, t and the
  augmentation parameters are drawn there by design; reading those is not a sync).

Then a device→host read is flagged when its tensor is a device tensor, and a host→device copy when a host
tensor is sent to a device (``.to(<device>)``, ``.cuda()``) or a tensor is built from Python data with a
``device=`` argument. Blind spot: ``.to(device)`` of a device tensor is taken as the no-op it is on the GPU,
so an explicit ``.to("cpu")`` of one would go unseen (``.cpu()`` is seen).
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch.utils.weak import WeakIdKeyDictionary


def _tensors(obj: Any) -> list[torch.Tensor]:
    return [x for x in tree_flatten(obj)[0] if isinstance(x, torch.Tensor)]


def _names_a_device(args: tuple, kwargs: dict) -> bool:
    for value in (*args, *kwargs.values()):
        if isinstance(value, torch.device | str | torch.Tensor):
            return True
    return False


class SyncWatch(TorchDispatchMode):
    """``with SyncWatch(device_tensors, device_seed) as watch: ...`` then ``watch.syncs`` lists what synced.

    Each entry is ``(kind, where)``: kind is the call (``item``, ``tolist``, ``to``, ``torch.tensor`` …),
    where the innermost frame of the caller outside this module and torch's own Python code.
    """

    def __init__(self, device_tensors: Iterable[torch.Tensor], device_seed: int) -> None:
        super().__init__()
        self.device_seed = int(device_seed)
        self.on_device: WeakIdKeyDictionary = WeakIdKeyDictionary()
        for t in device_tensors:
            self.on_device[t] = True
        self.syncs: list[tuple[str, str]] = []
        self._saved: dict[tuple[Any, str], Any] = {}

    # -- provenance ----------------------------------------------------------------------------------------

    def is_device(self, t: torch.Tensor) -> bool:
        return t in self.on_device

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        inputs = _tensors((args, kwargs))
        if func is torch.ops.aten._local_scalar_dense.default and any(self.is_device(t) for t in inputs):
            self._flag("item/float/int/bool")
        out = func(*args, **kwargs)
        generator = kwargs.get("generator")
        device_draw = generator is not None and generator.initial_seed() == self.device_seed
        if device_draw or any(self.is_device(t) for t in inputs):
            for t in _tensors(out):
                self.on_device[t] = True
            if func._schema.is_mutable:  # in-place and out= ops: the mutated inputs now hold device data
                for t in inputs:
                    self.on_device[t] = True
        return out

    # -- the calls that sync ----------------------------------------------------------------------------------

    def _flag(self, kind: str) -> None:
        frames = [f for f in traceback.extract_stack()[:-2]
                  if "sync_watch" not in f.filename and "/torch/" not in f.filename]
        where = f"{frames[-1].filename}:{frames[-1].lineno} {frames[-1].line}" if frames else "?"
        self.syncs.append((kind, where))

    def _patch(self, owner: Any, name: str, make) -> None:
        original = getattr(owner, name)
        self._saved[(owner, name)] = original
        setattr(owner, name, make(original))

    def __enter__(self) -> SyncWatch:
        watch = self

        def read_back(name):
            def make(original):
                def wrapper(self, *args, **kwargs):
                    if watch.is_device(self):
                        watch._flag(name)
                    return original(self, *args, **kwargs)
                return wrapper
            return make

        def to_device(original):
            def wrapper(self, *args, **kwargs):
                if not watch.is_device(self) and _names_a_device(args, kwargs):
                    watch._flag("to")
                return original(self, *args, **kwargs)
            return wrapper

        def cuda(original):
            def wrapper(self, *args, **kwargs):
                if not watch.is_device(self):
                    watch._flag("cuda")
                return original(self, *args, **kwargs)
            return wrapper

        def factory(name, data_may_be_tensor):
            def make(original):
                def wrapper(data, *args, **kwargs):
                    if kwargs.get("device") is not None and not (data_may_be_tensor and isinstance(data, torch.Tensor)):
                        watch._flag(name)
                    return original(data, *args, **kwargs)
                return wrapper
            return make

        for name in ("tolist", "numpy", "cpu"):
            self._patch(torch.Tensor, name, read_back(name))
        self._patch(torch.Tensor, "to", to_device)
        self._patch(torch.Tensor, "cuda", cuda)
        self._patch(torch, "tensor", factory("torch.tensor", False))
        self._patch(torch, "as_tensor", factory("torch.as_tensor", True))
        return super().__enter__()

    def __exit__(self, *exc) -> None:
        try:
            super().__exit__(*exc)
        finally:
            for (owner, name), original in self._saved.items():
                setattr(owner, name, original)
            self._saved.clear()

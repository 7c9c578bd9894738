"""Wall-clock instruments for an encoder run, attached from outside (hooks and patches, no edits to
the encoder): forward calls with their padded shapes and real lengths, tokeniser calls, and named
helper functions.  CPU ops are synchronous, so a section's wall time is its cost.
"""

from __future__ import annotations

import time
from collections import defaultdict

from perf.flops import Batch


class Meter:
    """Wall-clock sections of one pipeline run, filled by hooks: forward calls (and their padded
    shapes), tokeniser calls and named helper functions."""

    def __init__(self) -> None:
        self.batches: list[Batch] = []
        self.seconds: dict[str, float] = defaultdict(float)
        self.index_batches: list[list] = []  # the encoder's own batch index arrays, per encode call

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] += seconds


def _features(args, kwargs):
    """input_ids and attention_mask of a forward call, whether passed as keywords (HF) or as one dict (sentence-transformers)."""
    source = kwargs if "input_ids" in kwargs else (args[0] if args and hasattr(args[0], "keys") else {})
    return source["input_ids"], source["attention_mask"]


def hook_forward(module, meter: Meter, section: str = "forward") -> list:
    """Time every call of ``module`` and record its padded shape and real lengths."""
    started: list[float] = []

    def before(_module, _args, _kwargs):
        started.append(time.perf_counter())

    def after(_module, args, kwargs, _output):
        meter.add(section, time.perf_counter() - started.pop())
        ids, mask = _features(args, kwargs)
        meter.batches.append(Batch(int(ids.shape[0]), int(ids.shape[1]), tuple(int(n) for n in mask.sum(dim=1).tolist())))

    return [module.register_forward_pre_hook(before, with_kwargs=True), module.register_forward_hook(after, with_kwargs=True)]


def time_calls(tokenizer, meter: Meter, section: str = "tokenise"):
    """Time ``tokenizer(...)`` calls by giving the instance a subclass with a timed ``__call__``
    (isinstance checks in the libraries keep passing); returns a function that undoes it."""
    original = type(tokenizer)

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original.__call__(self, *args, **kwargs)
        finally:
            meter.add(section, time.perf_counter() - start)

    tokenizer.__class__ = type(f"Timed{original.__name__}", (original,), {"__call__": __call__})

    def undo() -> None:
        tokenizer.__class__ = original

    return undo


def patch_function(module, name: str, meter: Meter, section: str):
    original = getattr(module, name)

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            meter.add(section, time.perf_counter() - start)

    setattr(module, name, timed)
    return lambda: setattr(module, name, original)


def capture_batches(owner, meter: Meter):
    """Record the index batches the encoder's own ``_batches`` returns (for the profile's sample).

    The class's method is looked up at call time, so a prototype patched onto the class still applies.
    """

    def batches(prepared):
        result = type(owner)._batches(owner, prepared)
        meter.index_batches.append(result)
        return result

    owner._batches = batches
    return lambda: delattr(owner, "_batches")


def hook_forward_time_only(module, meter: Meter, section: str) -> list:
    started: list[float] = []
    before = module.register_forward_pre_hook(lambda *_: started.append(time.perf_counter()))
    after = module.register_forward_hook(lambda *_: meter.add(section, time.perf_counter() - started.pop()))
    return [before, after]

"""What one encoding pass cost: its time, texts, tokens and its own peak memory.

Peak memory per pass: ``ru_maxrss`` is process-wide and never goes down, so after a first pass
it says nothing about a second (an int8 pass after the fp32 one would show the fp32 peak).
:class:`PassMeter` samples the resident set size (``/proc/self/statm``) in a background thread
every few milliseconds while the pass runs, and reports the highest sample and the RSS at the
start; on CUDA it also resets and reads torch's peak allocated memory.  A pass shorter than the
sampling interval still gets its start and end samples.  Hand-written because psutil is not a
dependency and ``/proc/self/statm`` is one read.

Sampling only reads a file: it changes no arithmetic of the pass it measures.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

_STATM = Path("/proc/self/statm")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
MB = 2**20


def rss_bytes() -> int:
    """The resident set size now (Linux); elsewhere the process's high-water mark, the best there is."""
    try:
        return int(_STATM.read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class PassStats:
    """One pass: ``texts`` asked for, ``encoded`` of them computed (the rest came from the cache)."""

    seconds: float = 0.0
    texts: int = 0
    encoded: int = 0
    tokens: int = 0  # non-padding tokens the model read
    padded_tokens: int = 0  # tokens including padding (what the matrix products paid for)
    peak_rss_mb: float = 0.0
    start_rss_mb: float = 0.0
    cuda_peak_mb: float | None = None

    def merge(self, other: PassStats) -> PassStats:
        """Two passes of one variant (corpus and queries) as one: times and counts add, peaks take the max."""
        cuda = [v for v in (self.cuda_peak_mb, other.cuda_peak_mb) if v is not None]
        return PassStats(
            self.seconds + other.seconds,
            self.texts + other.texts,
            self.encoded + other.encoded,
            self.tokens + other.tokens,
            self.padded_tokens + other.padded_tokens,
            max(self.peak_rss_mb, other.peak_rss_mb),
            min(self.start_rss_mb, other.start_rss_mb) if self.texts else other.start_rss_mb,
            max(cuda) if cuda else None,
        )

    def summary(self, docs: int | None = None, seconds: float | None = None) -> dict:
        """The manifest's record: throughput over what was encoded (None when the cache served all of it)."""
        seconds = self.seconds if seconds is None else seconds
        encoded = self.encoded if docs is None else docs
        measured = self.encoded > 0 and seconds > 0
        out = {key: round(value, 4) if isinstance(value, float) else value for key, value in asdict(self).items()}
        # the peak is at least where the pass started: merged passes of one variant take the lowest
        # start and the highest peak, which are read at different moments by different meters
        out["peak_rss_mb"] = max(out["peak_rss_mb"], out["start_rss_mb"])
        out["docs_per_s"] = round(encoded / seconds, 2) if measured else None
        out["tokens_per_s"] = round(self.tokens / seconds, 1) if measured else None
        out["measured"] = "cold pass" if self.encoded == self.texts and measured else ("partly cached" if measured else "all cached")
        return out


class PassMeter:
    """``with PassMeter(device) as meter: …; meter.stats`` — seconds and peak memory of the block."""

    def __init__(self, device: str = "cpu", interval_s: float = 0.005) -> None:
        self.device = str(device)
        self.interval_s = interval_s
        self.stats = PassStats()
        self._peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._peak = max(self._peak, rss_bytes())

    def __enter__(self) -> PassMeter:
        if self.device.startswith("cuda"):
            import torch

            torch.cuda.reset_peak_memory_stats()
        start = rss_bytes()
        self._peak = start
        self.stats.start_rss_mb = start / MB
        self._thread = threading.Thread(target=self._sample, name="pass-meter", daemon=True)
        self._thread.start()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stats.seconds = time.perf_counter() - self._t0
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.stats.peak_rss_mb = max(self._peak, rss_bytes()) / MB
        if self.device.startswith("cuda"):
            import torch

            self.stats.cuda_peak_mb = torch.cuda.max_memory_allocated() / MB

"""Semantic textual similarity: STS12-16, STS Benchmark and SICK-R, scored as MTEB does."""

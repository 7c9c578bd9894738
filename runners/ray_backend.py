"""Distributed execution on Ray: fan (model × task) jobs out over a cluster, and shard the
encoding of one big corpus over several workers.

Nothing here writes to the database: remote jobs return the local executor's results
(:data:`runners.executors.TaskResult`: the :class:`~runners.outcome.RunOutcome`, a skip or a
one-line error) to the driver, which stores them exactly as a local run would.  Results are
identical to the local backend because each job runs the same code (:func:`runners.executors.run_one`)
on the same config; the only difference is where.  ``address=None`` starts (or joins) a local one-node Ray, as the tests do;
``address="ray://host:10001"`` or ``"auto"`` joins a real cluster.  Each job asks for one GPU
when the cluster has GPUs (``num_gpus``), else one CPU.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import numpy as np

from common.errors import UserError


def _ray():
    try:
        import ray
    except ImportError as err:
        raise UserError("the Ray backend needs the 'ray' extra: pip install 'leaderboard[ray]'") from err
    return ray


def init(address: str | None = None, *, num_cpus: int | None = None) -> None:
    ray = _ray()
    if ray.is_initialized():
        return
    try:
        if address:
            ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
        else:
            ray.init(num_cpus=num_cpus, ignore_reinit_error=True, include_dashboard=False, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise UserError(f"cannot start or join Ray at {address or 'a local node'} ({err})") from err


def _job(config_dump: dict, task_id: str, env: dict[str, str]):
    """Runs on a Ray worker: the same code path as a local run (:func:`runners.executors.run_one`)."""
    import os

    os.environ.update(env)
    from benchmarks.registry import get_task, reload_tasks
    from runners.executors import TaskFailed, run_one
    from runners.session import ModelSession
    from submissions.schema import ModelConfig

    reload_tasks()  # this worker process may have listed the tasks under another job's settings
    try:
        result = run_one(ModelSession(ModelConfig.model_validate(config_dump)), get_task(task_id))
    except UserError as err:  # an unknown task id on the worker
        result = TaskFailed(task_id, err)
    if isinstance(result, TaskFailed):  # a plain UserError travels back: subclasses may not unpickle (DataMismatch)
        result = TaskFailed(task_id, UserError(str(result.error)))
    return result


def run_matrix(jobs: Sequence[tuple[dict, str]], *, address: str | None = None, gpus_per_job: float = 0.0) -> Iterator:
    """Run every (config dump, task id) on Ray, all submitted at once; yields each job's
    :data:`~runners.executors.TaskResult` in the jobs' order, as soon as it is done."""
    import os

    ray = _ray()
    init(address)
    env = {k: v for k, v in os.environ.items() if k.startswith(("LEADERBOARD_", "HF_", "TRANSFORMERS_"))}
    remote = ray.remote(num_gpus=gpus_per_job, num_cpus=1)(_job)
    refs = [remote.remote(config, task_id, env) for config, task_id in jobs]
    return (_get(ray, ref) for ref in refs)


def _get(ray, ref):
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as err:  # anything but a UserError is a bug: raise it here, with its cause
        cause = getattr(err, "cause", None)
        if isinstance(cause, UserError):
            raise UserError(str(cause)) from err
        raise


def _encode_shard(config_dump: dict, folder: str, texts: list[str], prompt: str, env: dict[str, str]) -> np.ndarray:
    import os
    from pathlib import Path

    os.environ.update(env)
    from runners.dense import DenseEncoder
    from runners.device import best_device
    from submissions.schema import ModelConfig

    encoder = DenseEncoder(ModelConfig.model_validate(config_dump), Path(folder), best_device())
    return encoder.encode(texts, prompt, desc="encoding shard")


def sharded_encode(
    config_dump: dict,
    folder: str,
    texts: Sequence[str],
    prompt: str = "",
    *,
    shards: int = 2,
    address: str | None = None,
    gpus_per_shard: float = 0.0,
) -> np.ndarray:
    """Encode ``texts`` in ``shards`` contiguous pieces on Ray workers and concatenate them in order."""
    import os

    ray = _ray()
    init(address)
    env = {k: v for k, v in os.environ.items() if k.startswith(("LEADERBOARD_", "HF_", "TRANSFORMERS_"))}
    remote = ray.remote(num_gpus=gpus_per_shard, num_cpus=1)(_encode_shard)
    bounds = np.linspace(0, len(texts), shards + 1).astype(int)
    refs = [remote.remote(config_dump, folder, list(texts[a:b]), prompt, env) for a, b in itertools.pairwise(bounds) if b > a]
    return np.concatenate(ray.get(refs), axis=0)

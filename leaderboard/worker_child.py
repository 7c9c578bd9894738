"""The worker's child process: one claimed job, logged the way a public log tail needs.

:class:`leaderboard.worker.Worker` starts ``python -m leaderboard.worker_child ID CLAIM`` with its
output going to a file, whose filtered tail becomes the submission's public ``log_tail``
(:mod:`leaderboard.public_log`).  So the child

- logs at INFO in the job format, the only lines the public filter keeps
  (:data:`leaderboard.public_log.JOB_LOG_FORMAT`);
- holds the libraries to their warnings (:func:`common.logs.quiet_libraries`): no Alembic line
  for each database it opens, no faiss CPU-build notice, no bm25s DEBUG, Anserini's Java log at
  ERROR;
- draws no progress bars: the worker sets ``TQDM_DISABLE=1`` for it (tqdm reads its defaults
  from ``TQDM_*`` variables), because a bar redrawn with ``\\r`` in a file is one long glued
  line that nobody watches; the job's own lines say which task is running.

The job itself is :func:`leaderboard.job.run_job`.
"""

from __future__ import annotations

import logging
import sys

from common.logs import quiet_libraries
from leaderboard.public_log import JOB_LOG_DATEFMT, JOB_LOG_FORMAT


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    logging.basicConfig(level=logging.INFO, format=JOB_LOG_FORMAT, datefmt=JOB_LOG_DATEFMT)
    quiet_libraries()
    from leaderboard.job import run_job

    return run_job(int(args[0]), args[1])


if __name__ == "__main__":
    sys.exit(main())

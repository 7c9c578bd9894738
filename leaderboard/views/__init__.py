"""The read side: typed views of the database, built once and only formatted by their readers.

The site's HTML pages, its CSV/JSON downloads, the JSON API and the CLI (``leaderboard results``,
``export``) all read these modules, so a rank, a mean, a zero-shot flag or a label is computed in
one place and shown the same everywhere.  Each module has one job:

- :mod:`~leaderboard.views.snapshot`: the board's read model (every published model, task and
  current main score, three queries) keyed by :func:`~leaderboard.views.snapshot.data_version`;
- :mod:`~leaderboard.views.board`: a benchmark's table (:class:`~leaderboard.views.board.BoardTable`):
  means by :func:`benchmarks.aggregate.benchmark_mean` with what they cover, tied ranks,
  zero-shot flags by :mod:`benchmarks.zero_shot`; the home page's overall table;
- :mod:`~leaderboard.views.tasks`, :mod:`~leaderboard.views.models`, :mod:`~leaderboard.views.runs`:
  the task, model and run views (:class:`TaskView`, :class:`ModelView`, :class:`RunView`);
- :mod:`~leaderboard.views.reproductions`: grades of reproductions and published numbers;
- :mod:`~leaderboard.views.scores`: flat score records (the API's ``/scores``, ``export``);
- :mod:`~leaderboard.views.items`: per-item values and item data (STS's gold) for statistics;
- :mod:`~leaderboard.views.labels`: how metrics and benchmarks are named and explained.

Nothing here renders HTML or knows about HTTP.
"""

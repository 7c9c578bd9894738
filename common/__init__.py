"""The neutral layer: what every other package uses and none of them owns.

``errors`` (:class:`~common.errors.UserError`), ``settings`` (every ``LEADERBOARD_*`` variable,
typed), ``finite`` (non-finite floats out of JSON), ``paths`` (paths relative to their root)
and ``logs`` (which libraries' log lines a console shows).  It imports nothing from the project.
"""

"""The neutral layer: what every other package uses and none of them owns.

``errors`` (:class:`~common.errors.UserError`), ``settings`` (every ``LEADERBOARD_*`` variable,
typed) and ``finite`` (non-finite floats out of JSON).  It imports nothing from the project.
"""

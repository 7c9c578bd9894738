"""Where scores live and how they are ranked: SQL storage, queries and the ``leaderboard`` CLI."""

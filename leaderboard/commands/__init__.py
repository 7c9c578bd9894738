"""Subcommands of `leaderboard`, one module per group."""

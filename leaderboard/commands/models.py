"""`leaderboard models`: the reference registry."""

from __future__ import annotations

import click

from leaderboard.commands.common import one_line_errors


@click.group()
def models() -> None:
    """The reference models."""


@models.command("list")
@one_line_errors
def models_list() -> None:
    from submissions.registry import reference_configs

    for name, (config, _path) in reference_configs().items():
        click.echo(f"{name:24} {config.backend:6} {','.join(config.family):32} {config.description[:60]}")


@models.command("show")
@click.argument("name")
@one_line_errors
def models_show(name: str) -> None:
    from submissions.registry import resolve_model

    _config, path = resolve_model(name)
    click.echo(path.read_text(encoding="utf-8"))

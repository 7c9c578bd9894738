"""`leaderboard reproduce` (rerun and grade) and `leaderboard compare` (paired significance)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from common.errors import UserError
from leaderboard.commands.common import one_line_errors


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.5f}".rstrip("0").rstrip(".")


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.5f}"


@click.command()
@click.argument("model", required=False)
@click.option("--tasks", "task_list", help="Task ids or benchmarks; default: every task the config reports a number for.")
@click.option("--all", "all_models", is_flag=True, help="Every reference model.")
@click.option("--dry-run", is_flag=True, help="Only print the commands that would run.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write the table as an HTML page.")
@one_line_errors
def reproduce(model: str | None, task_list: str | None, all_models: bool, dry_run: bool, report_path: Path | None) -> None:
    """Rerun MODEL from its pinned config and grade each number: reported | board | local | Δ | grade.

    Exits 1 when any cell is FAIL.
    """
    from benchmarks.registry import expand_task_ids, get_task, task_spec
    from leaderboard.grading import TOLERANCES
    from leaderboard.names import owner_for
    from leaderboard.service import Report, ReproductionRecorder, Resolved, lazy_sessions, plan, resolve, run_and_record
    from runners.executors import LocalExecutor
    from submissions.registry import reference_configs

    if all_models == bool(model):
        raise UserError("give either MODEL or --all")
    if all_models:
        targets = [Resolved(config, path, is_reference=True) for config, path in reference_configs().values()]
    else:
        targets = [resolve(model)]  # type: ignore[arg-type]
    plans = []
    for target in targets:
        config = target.config
        wanted = task_list or ",".join(sorted({r.task for r in config.reported}))
        task_ids = list(dict.fromkeys(expand_task_ids(wanted)))  # a benchmark name ("tatoeba") means all its tasks
        for task_id in task_ids:
            get_task(task_id)  # unknown ids fail before anything runs
        plans.append((target, task_ids))
    if dry_run:
        for target, task_ids in plans:
            if task_ids:
                click.echo(f"leaderboard reproduce {target.config.name} --tasks {task_spec(task_ids)}")
        return

    make_session = lazy_sessions()
    cells = []
    for target, task_ids in plans:
        config = target.config
        if not task_ids:
            click.echo(f"{config.name}: nothing reported to reproduce (give --tasks)")
            continue

        def failed(task, err, name=config.name) -> bool:
            """--all goes on past a model that cannot run here (weights or data missing); one model stops."""
            if all_models:
                click.echo(f"cannot run {name} on {task.id} here: {err}")
            return all_models

        report = Report(skipped=lambda task, reason: click.echo(f"skipping {task.id}: {reason}"), failed=failed)
        owner = owner_for(config, is_reference=target.is_reference, source=target.path, reproduction=True)
        recorder = ReproductionRecorder(make_session, config, target.is_reference)
        run_and_record(plan(config, task_ids, owner, make_session, report), LocalExecutor(), recorder, report)
        cells.extend(recorder.cells)

    header = f"{'task':22} {'metric':16} {'reported':>9} {'board':>9} {'local':>9} {'Δ':>9}  {'tolerance (rule)':30} grade"
    click.echo(header)
    for c in cells:
        values = f"{_fmt(c.reported):>9} {_fmt(c.board):>9} {c.local:>9.5f} {_signed(c.delta):>9}"
        click.echo(f"{c.task:22} {c.metric:16} {values}  {c.rules or '–':30} {c.worst or 'not graded'}")
    if report_path:
        command = "leaderboard reproduce " + ("--all" if all_models else str(model)) + (f" --tasks {task_list}" if task_list else "")
        from web.reports import reproduction_report

        html = reproduction_report(
            model="all reference models" if all_models else model,
            command=command,
            cells=cells,
            rules=TOLERANCES,
            fmt=_fmt,
            signed=_signed,
        )
        report_path.write_text(html, encoding="utf-8")
        click.echo(f"report written to {report_path}")
    if any(c.worst == "FAIL" for c in cells):
        sys.exit(1)


@click.command()
@click.argument("model_a")
@click.argument("model_b")
@click.option("--tasks", "task_list", help="Task ids or benchmarks; default: every task both have on the board.")
@one_line_errors
def compare(model_a: str, model_b: str, task_list: str | None) -> None:
    """Paired randomisation test of B − A per task on the board's per-query values, plus a meta-analysis."""
    from sqlalchemy import select

    from benchmarks.registry import expand_task_ids
    from leaderboard import schema
    from leaderboard.db import make_engine, session_factory
    from leaderboard.stats import paired_randomization_test, paired_values, random_effects_meta, statistic_for
    from leaderboard.views.items import GOLD
    from leaderboard.views.snapshot import task_order

    with session_factory(make_engine())() as session:

        def main_scores(name: str) -> dict[str, schema.Score]:
            stmt = (
                select(schema.Task.id, schema.Score)
                .join(schema.CurrentResult, schema.CurrentResult.task_id == schema.Task.id)
                .join(schema.Model, schema.Model.id == schema.CurrentResult.model_id)
                .join(schema.Score, (schema.Score.run_id == schema.CurrentResult.run_id) & (schema.Score.metric == schema.Task.main_score))
                .where(schema.Model.name == name, schema.Score.variant == "")
            )
            return dict(session.execute(stmt).all())

        def item_values(name: str, task_id: str, score: schema.Score) -> dict[str, float]:
            """Per-item values whose mean the test compares, as the metric's declared aggregation says (leaderboard.stats)."""
            statistic = statistic_for(task_id, score.metric)
            gold = None
            if statistic in ("spearman", "pearson"):  # a correlation: each pair's contribution, from the run's gold
                gold = session.scalar(
                    select(schema.RunItem.values).where(schema.RunItem.run_id == score.run_id, schema.RunItem.name == GOLD)
                )
                if gold is None:
                    raise UserError(f"{name} on {task_id}: the run stores no gold scores; rerun it to compare")
            values = paired_values(statistic, score.per_query or {}, gold)
            if values is None:
                raise UserError(f"{name} on {task_id}: the run stores no per-item values to compare; rerun it to compare")
            return values

        a_scores, b_scores = main_scores(model_a), main_scores(model_b)
        for name, found in ((model_a, a_scores), (model_b, b_scores)):
            if not found:
                raise UserError(f"{name}: no results on the board; run 'leaderboard run {name} --tasks …' first")
        tasks = expand_task_ids(task_list) if task_list else sorted(set(a_scores) & set(b_scores), key=task_order)
        missing = [t for t in tasks if t not in a_scores or t not in b_scores]
        if missing:
            raise UserError(f"no board result for both models on {', '.join(missing)}; run them first")
        click.echo(f"{'task':24} {'n':>6} {'A':>8} {'B':>8} {'B−A':>9} {'d_z':>7} {'p':>8}")
        effects, sizes = [], []
        for task_id in tasks:
            result = paired_randomization_test(
                item_values(model_a, task_id, a_scores[task_id]), item_values(model_b, task_id, b_scores[task_id])
            )
            effects.append(result.effect_size)
            sizes.append(result.queries)
            click.echo(
                f"{task_id:24} {result.queries:>6} {result.mean_a:>8.4f} {result.mean_b:>8.4f} {result.mean_difference:>+9.4f} "
                f"{result.effect_size:>+7.3f} {result.p_value:>8.4f}"
            )
        click.echo(f"paired randomisation test, two-sided, {result.permutations:,} sign flips, seed 0; A = {model_a}, B = {model_b}")
        if len(tasks) > 1:
            meta = random_effects_meta(effects, sizes)
            click.echo(
                f"across {meta.tasks} tasks (random effects, DerSimonian–Laird): d_z {meta.pooled_effect:+.3f} "
                f"[{meta.ci_low:+.3f}, {meta.ci_high:+.3f}], p {meta.p_value:.4f}, tau² {meta.tau_squared:.4f}"
            )

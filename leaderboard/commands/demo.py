"""`leaderboard demo`: a plan of cheap runs first, the site up at once, a progress banner, a summary.

Why this shape (issue 17): a fresh clone's first demo once took 71 minutes before the site
appeared, because the 112 Tatoeba pairs and MiniLM ran before the three BM25 models (33 s in
all), and twelve models without weights were each tried only after SciFact was loaded for them.
Now:

- **scope**: by default SciFact, the seven STS sets and the 5 smallest Tatoeba pairs (CI's pairs
  are among them); ``--full`` takes every task whose data is present (all 112 pairs, ARO, …);
- **who**: every reference model whose weights are here, by the same test as ``leaderboard
  models list`` (:func:`leaderboard.commands.models.weights_column`); the others are listed once
  as "needs download" and never loaded;
- **order** (:func:`order_key`): lexical models first (bm25s, then Lucene), then STS-B for each
  text model (its first number in seconds), then the rest benchmark by benchmark, each model's
  tasks together, smallest first;
- **while it runs**: ``leaderboard demo`` serves the site at once and runs the plan in a child
  process (``leaderboard demo --no-serve``), one model at a time, through the run-and-record
  service (:mod:`leaderboard.service`); the child keeps :mod:`leaderboard.demo_progress` up to
  date, and every page shows it as a banner;
- **at the end**: a summary of what ran (model, task, main score, seconds), what was skipped and
  why, and the URL.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import click

from benchmarks.contract import Task
from benchmarks.registry import benchmark_ids
from common.errors import UserError
from leaderboard.commands.common import one_line_errors
from leaderboard.demo_progress import DemoProgress, minutes, write_progress
from runners.weights import NEEDS_DOWNLOAD

FIRST_LOOK = "sts/stsb"  # a text model's first number: 1,379 pairs, seconds on a CPU, the best-known STS set
DEFAULT_TATOEBA_PAIRS = 5  # the smallest pairs (104-134 sentences each); CI's reported pairs are among them


def task_size(task: Task) -> int:
    """What a run of the task has to read and encode: its published counts (docs + queries, pairs)."""
    return max(1, sum(int(v) for v in task.expected_counts.values()))


def demo_tasks(tasks: Iterable[Task], *, full: bool) -> list[Task]:
    """The demo's scope among ``tasks``: everything with ``full``, else SciFact, STS and the smallest Tatoeba pairs."""
    tasks = list(tasks)
    if full:
        return tasks
    tatoeba = sorted((t for t in tasks if t.benchmark == "tatoeba"), key=lambda t: (task_size(t), t.id))[:DEFAULT_TATOEBA_PAIRS]
    return [t for t in tasks if t.id == "beir/scifact" or t.benchmark == "sts" or t in tatoeba]


def is_lexical(config) -> bool:
    return config.backend == "bm25"


def order_key(config, task: Task) -> tuple:
    """Cheap runs first: lexical models (bm25s before Lucene's JVM), STS-B per text model, then benchmark by benchmark.

    Fusion models come last: they are computed from the stored runs of the models they fuse.
    """
    if config.backend == "fusion":
        return (3, 0, config.name.lower(), task_size(task), task.id)
    if is_lexical(config):
        engine = 0 if config.bm25 is None or config.bm25.engine == "bm25s" else 1
        return (0, engine, config.name.lower(), task_size(task), task.id)
    if task.id == FIRST_LOOK:
        return (1, 0, config.name.lower(), 0, task.id)
    order = benchmark_ids()  # the registry's display order: BEIR, STS, Tatoeba, ARO, then plugins
    rank = order.index(task.benchmark) if task.benchmark in order else len(order)
    return (2, rank, config.name.lower(), task_size(task), task.id)


@dataclass(frozen=True)
class Step:
    """One model's consecutive runs: its weights load once for them."""

    model: str
    tasks: tuple[Task, ...]


@dataclass
class DemoPlan:
    steps: list[Step]
    needs_download: list[tuple[str, str]] = field(default_factory=list)  # (model, what models list says)
    nothing_to_run: list[str] = field(default_factory=list)  # models with no task in scope their backend can do
    already_stored: int = 0  # runs left out because a current result exists (--rerun runs them)

    @property
    def runs(self) -> list[tuple[str, Task]]:
        return [(step.model, task) for step in self.steps for task in step.tasks]


def build_plan(
    configs: Mapping[str, object],
    tasks: list[Task],
    *,
    stored: set[tuple[str, str]],
    rerun: bool,
    status: Callable[[object], str],
    runnable: Callable[[str], bool],
) -> DemoPlan:
    """Who runs what, in which order; ``status`` is asked once per model and nothing is loaded."""
    from runners.session import supports

    plan = DemoPlan(steps=[])
    runs = []
    for name, config in configs.items():
        can_do = [t for t in tasks if supports(config, t.benchmark)]
        if not can_do:
            plan.nothing_to_run.append(name)
            continue
        state = status(config)
        if not runnable(state):
            plan.needs_download.append((name, state))
            continue
        for task in can_do:
            if not rerun and (name, task.id) in stored:
                plan.already_stored += 1
            else:
                runs.append((order_key(config, task), name, task))
    runs.sort(key=lambda run: run[0])
    for _, name, task in runs:
        if plan.steps and plan.steps[-1].model == name:
            plan.steps[-1] = Step(name, (*plan.steps[-1].tasks, task))
        else:
            plan.steps.append(Step(name, (task,)))
    return plan


# --------------------------------------------------------------------------- timing
@dataclass
class Timings:
    """Seconds per item measured in this demo, per (model, benchmark), for the ETA."""

    rates: dict[tuple[str, str], float] = field(default_factory=dict)
    lexical: set[str] = field(default_factory=set)

    def add(self, model: str, task: Task, seconds: float) -> None:
        self.rates[(model, task.benchmark)] = seconds / task_size(task)

    def estimate(self, model: str, task: Task) -> float | None:
        """This model's rate on this benchmark; else the slowest rate of a model of its kind (lexical or not) there; else None."""
        own = self.rates.get((model, task.benchmark))
        if own is not None:
            return own * task_size(task)
        kind = model in self.lexical
        peers = [rate for (other, bench), rate in self.rates.items() if bench == task.benchmark and (other in self.lexical) == kind]
        return max(peers) * task_size(task) if peers else None


def estimate_left(timings: Timings, left: Iterable[tuple[str, Task]]) -> tuple[float | None, int]:
    """(seconds for the runs left that can be estimated, or None if none can; how many cannot)."""
    total, untimed, any_known = 0.0, 0, False
    for model, task in left:
        guess = timings.estimate(model, task)
        if guess is None:
            untimed += 1
        else:
            total, any_known = total + guess, True
    return (total if any_known else None), untimed


# --------------------------------------------------------------------------- running
@dataclass(frozen=True)
class Outcome:
    model: str
    task: str
    ok: bool
    seconds: float
    metric: str = ""
    value: float | None = None
    reason: str = ""


def run_step(step: Step, on_start: Callable[[Task], None], on_done: Callable[[Outcome], None], config=None, path=None) -> None:
    """Run one model's tasks through the run-and-record service; each run is stored in its own transaction.

    An error (data that fails its check, a model that breaks) is reported for its task and the
    others go on: a demo shows what it can.
    """
    from leaderboard.commands.run import stored_line
    from leaderboard.names import owner_for
    from leaderboard.service import PerTaskRecorder, Report, lazy_sessions, plan, resolve, run_and_record
    from runners.executors import executor_for

    resolved = resolve(step.model)
    make_session = lazy_sessions()
    started: dict[str, float] = {}
    accounted: set[str] = set()

    def finish(outcome: Outcome) -> None:
        accounted.add(outcome.task)
        on_done(outcome)

    def start(task: Task) -> None:
        started[task.id] = time.monotonic()
        on_start(task)

    def elapsed(task: Task) -> float:
        return time.monotonic() - started.get(task.id, time.monotonic())

    def recorded(task: Task, outcome, run_id) -> None:
        click.echo(stored_line(resolved.config, task, outcome, run_id))
        value = outcome.scores[task.main_score].value
        finish(Outcome(step.model, task.id, True, elapsed(task), task.main_score, value))

    def failed(task: Task, error: UserError) -> bool:
        finish(Outcome(step.model, task.id, False, elapsed(task), reason=str(error)))
        return True

    def skipped(task: Task, reason: str) -> None:
        finish(Outcome(step.model, task.id, False, elapsed(task), reason=reason))

    report = Report(start=start, skipped=skipped, recorded=recorded, failed=failed)
    owner = owner_for(resolved.config, is_reference=resolved.is_reference, source=resolved.path)
    try:
        planned = plan(resolved.config, [t.id for t in step.tasks], owner, make_session, report)
        run_and_record(planned, executor_for("local"), PerTaskRecorder(make_session, resolved.config, resolved.is_reference), report)
    except UserError as err:  # the name check, or a write the database refused: the model's other tasks are not run
        for task in step.tasks:
            if task.id not in accounted:
                finish(Outcome(step.model, task.id, False, elapsed(task) if task.id in started else 0.0, reason=str(err)))


def execute_plan(demo_plan: DemoPlan, lexical: set[str], runner: Callable = run_step) -> list[Outcome]:
    """Run the plan step by step, keeping the progress record current; the outcomes in order."""
    runs = demo_plan.runs
    progress = DemoProgress(total=len(runs))
    timings = Timings(lexical=lexical)
    outcomes: list[Outcome] = []

    def refresh(current: tuple[str, Task] | None) -> None:
        finished = {(o.model, o.task) for o in outcomes}
        left = [(model, task) for model, task in runs if (model, task.id) not in finished]
        progress.finished = len(outcomes)
        progress.current_model, progress.current_task = (current[0], current[1].id) if current else (None, None)
        progress.eta_s, progress.untimed = estimate_left(timings, left)
        write_progress(progress)

    def done(outcome: Outcome) -> None:
        if outcome.ok:
            timings.add(outcome.model, by_id[outcome.task], outcome.seconds)
        outcomes.append(outcome)
        refresh(None)

    by_id = {task.id: task for _, task in runs}
    refresh(None)
    try:
        for step in demo_plan.steps:
            runner(step, lambda task, model=step.model: refresh((model, task)), done)
        progress.state = "done"
    finally:
        if progress.state != "done":
            progress.state = "stopped"
        refresh(None)
    return outcomes


# --------------------------------------------------------------------------- what the user reads
def plan_lines(demo_plan: DemoPlan, full: bool) -> list[str]:
    runs = demo_plan.runs
    scope = "--full: every task present" if full else "SciFact, STS, 5 Tatoeba pairs; --full for everything"
    lines = [f"demo plan ({scope}): {len(runs)} runs"]
    lines += [f"  {i}. {step.model}: {', '.join(t.id for t in step.tasks)}" for i, step in enumerate(demo_plan.steps, 1)]
    if demo_plan.already_stored:
        lines.append(f"  already stored: {demo_plan.already_stored} runs (leaderboard demo --rerun runs them again)")
    for state, names in not_runnable(demo_plan).items():
        where = " (leaderboard models list; docs/offline.md says where weights come from)" if state == NEEDS_DOWNLOAD else ""
        lines.append(f"  {state}, not run: {', '.join(names)}{where}")
    return lines


def not_runnable(demo_plan: DemoPlan) -> dict[str, list[str]]:
    """What ``models list`` says -> the models it says it of (needs download; needs the 'lucene' extra)."""
    grouped: dict[str, list[str]] = {}
    for name, state in demo_plan.needs_download:
        grouped.setdefault(state, []).append(name)
    return grouped


def summary_lines(demo_plan: DemoPlan, outcomes: list[Outcome], wall_s: float, url: str | None) -> list[str]:
    ran = [o for o in outcomes if o.ok]
    lines = [f"demo summary: {len(ran)} of {len(outcomes)} runs stored in {minutes(wall_s).removeprefix('about ')}"]
    width = max((len(o.model) for o in outcomes), default=0)
    task_width = max((len(o.task) for o in outcomes), default=0)
    for o in ran:
        lines.append(f"  ran      {o.model:<{width}}  {o.task:<{task_width}}  {o.metric}={o.value:.4f}  {o.seconds:.1f} s")
    for o in outcomes:
        if not o.ok:
            lines.append(f"  skipped  {o.model:<{width}}  {o.task:<{task_width}}  {o.reason}")
    if demo_plan.already_stored:
        lines.append(f"  kept     {demo_plan.already_stored} runs already stored (leaderboard demo --rerun runs them again)")
    for state, names in not_runnable(demo_plan).items():
        why = "weights not on this machine (needs download; leaderboard models list)" if state == NEEDS_DOWNLOAD else state
        lines.append(f"  skipped  {', '.join(names)}: {why}")
    if demo_plan.nothing_to_run:
        lines.append(f"  skipped  {', '.join(demo_plan.nothing_to_run)}: no task in this demo's scope that their backend can run")
    lines.append(f"the site: {url}" if url else "see it: leaderboard serve (http://127.0.0.1:5000/)")
    return lines


def present_tasks(full: bool) -> list[Task]:
    """The tasks in the demo's scope whose files are here (a cheap look: the data is checked as each run starts)."""
    from benchmarks.registry import all_tasks, find_benchmark

    def present(task: Task) -> bool:
        benchmark = find_benchmark(task.benchmark)
        return benchmark is not None and not benchmark.missing_files(task)

    tasks = [t for t in demo_tasks(all_tasks().values(), full=full) if present(t)]
    if not tasks:
        raise UserError(
            "no benchmark data found; set LEADERBOARD_DATA_DIR (e.g. to ../shared/datasets) or run 'leaderboard data fetch beir/scifact'"
        )
    return tasks


def make_plan(full: bool, rerun: bool) -> tuple[DemoPlan, set[str]]:
    """The plan for the tasks whose files are present, from the reference registry; nothing is loaded."""
    from leaderboard.commands.models import runnable_here, weights_column
    from leaderboard.db import make_engine, session_factory
    from leaderboard.views.scores import current_main_scores
    from submissions.registry import reference_configs

    tasks = present_tasks(full)
    with session_factory(make_engine())() as session:
        stored = {(model, task) for model, _, task, _, _, _ in current_main_scores(session)}
    configs = {name: config for name, (config, _path) in reference_configs().items()}
    demo_plan = build_plan(configs, tasks, stored=stored, rerun=rerun, status=weights_column, runnable=runnable_here)
    return demo_plan, {name for name, config in configs.items() if is_lexical(config)}


def run_demo(full: bool, rerun: bool, url: str | None) -> None:
    """Plan, say the plan, run it, sum it up (the ``--no-serve`` part, also the child of a served demo)."""
    began = time.monotonic()
    demo_plan, lexical = make_plan(full, rerun)
    for line in plan_lines(demo_plan, full):
        click.echo(line)
    outcomes = execute_plan(demo_plan, lexical)
    for line in summary_lines(demo_plan, outcomes, time.monotonic() - began, url):
        click.echo(line)


@click.command()
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--full", is_flag=True, help="Every task whose data is present (all 112 Tatoeba pairs, ARO, other BEIR sets).")
@click.option("--rerun", is_flag=True, help="Run again even where a current result exists.")
@click.option("--no-serve", is_flag=True, help="Only run (in this process), do not start the web server.")
@click.option("--served-at", hidden=True, help="The URL the parent serves (the summary names it).")
@one_line_errors
def demo(port: int, full: bool, rerun: bool, no_serve: bool, served_at: str | None) -> None:
    """Serve the site at once and run the reference models on the data present in the background."""
    if no_serve:
        run_demo(full, rerun, served_at)
        return
    from web import create_app

    present_tasks(full)  # no data at all: one error line, and no empty site
    url = f"http://127.0.0.1:{port}/"
    app = create_app()  # creates the schema before the child writes to it
    verbose = ["-v"] if click.get_current_context().find_root().params.get("verbose") else []
    command = [sys.executable, "-m", "leaderboard.cli", *verbose, "demo", "--no-serve", "--served-at", url]
    command += ["--full"] * full + ["--rerun"] * rerun
    child = subprocess.Popen(command)
    click.echo(f"serving on {url} now; the demo's runs go on in the background (banner on every page, summary here at the end)")
    try:
        app.run(host="127.0.0.1", port=port)
    finally:
        if child.poll() is None:
            child.terminate()
            child.wait(timeout=30)

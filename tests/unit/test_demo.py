"""`leaderboard demo`: cheap runs first, models without weights listed once and never loaded, the site up at once with a banner, a summary.

Issue 17: a fresh clone's demo took 71 minutes before the site appeared; the BM25 models ran after
58 minutes of MiniLM and twelve models without weights were each tried after SciFact was loaded
for them.  These tests hold the new plan on the real registry and fake model registries.
"""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from benchmarks.registry import all_tasks
from leaderboard.cli import main
from leaderboard.commands import demo as demo_module
from leaderboard.commands.demo import (
    DemoPlan,
    Outcome,
    Step,
    Timings,
    build_plan,
    demo_tasks,
    estimate_left,
    execute_plan,
    plan_lines,
    summary_lines,
)
from leaderboard.demo_progress import DemoProgress, progress_path, read_progress, write_progress
from submissions.registry import REFERENCE_DIR, reference_configs
from submissions.schema import ModelConfig

CHEAP_FIRST = ["bm25s-flat", "bm25-flat", "bm25-multifield", "all-MiniLM-L6-v2", "splade-tiny"]


def reference(*names: str) -> dict:
    configs = reference_configs()
    return {name: configs[name][0] for name in names}


def available(config) -> str:
    return "available (test)"


def runnable(state: str) -> bool:
    return state.startswith("available")


def default_tasks():
    return demo_tasks(all_tasks().values(), full=False)


def test_the_default_demo_is_scifact_the_seven_sts_sets_and_the_five_smallest_tatoeba_pairs():
    ids = {task.id for task in default_tasks()}
    assert {i for i in ids if i.startswith("beir/")} == {"beir/scifact"}
    assert len([i for i in ids if i.startswith("sts/")]) == 7
    assert {i for i in ids if i.startswith("tatoeba/")} == {f"tatoeba/{p}-eng" for p in ("tzl", "swg", "gsw", "ast", "ang")}
    assert not any(i.startswith("aro/") for i in ids)


def test_full_demo_takes_every_registered_task():
    assert len(demo_tasks(all_tasks().values(), full=True)) == len(all_tasks())


def test_plan_runs_bm25s_lucene_and_stsb_first_then_the_rest_benchmark_by_benchmark():
    plan = build_plan(reference(*reversed(CHEAP_FIRST)), default_tasks(), stored=set(), rerun=False, status=available, runnable=runnable)
    runs = [(model, task.id) for model, task in plan.runs]
    assert runs[:5] == [
        ("bm25s-flat", "beir/scifact"),
        ("bm25-flat", "beir/scifact"),
        ("bm25-multifield", "beir/scifact"),
        ("all-MiniLM-L6-v2", "sts/stsb"),
        ("all-MiniLM-L6-v2", "beir/scifact"),
    ]
    assert runs[5] == ("splade-tiny", "beir/scifact")
    rest = [task for model, task in runs[6:]]
    assert all(model == "all-MiniLM-L6-v2" for model, _ in runs[6:])
    assert [t.split("/")[0] for t in rest] == ["sts"] * 6 + ["tatoeba"] * 5  # STS before Tatoeba
    # one model at a time: consecutive runs of a model are one step (its weights load once)
    assert [step.model for step in plan.steps] == [*CHEAP_FIRST, "all-MiniLM-L6-v2"]


def test_fusion_models_run_after_every_model_they_fuse():
    plan = build_plan(
        reference("bm25-minilm-rrf", *CHEAP_FIRST), default_tasks(), stored=set(), rerun=False, status=available, runnable=runnable
    )
    runs = [(model, task.id) for model, task in plan.runs]
    assert runs[-1] == ("bm25-minilm-rrf", "beir/scifact")
    assert runs.index(("bm25-flat", "beir/scifact")) < runs.index(("all-MiniLM-L6-v2", "beir/scifact")) < len(runs) - 1


def test_plan_leaves_out_stored_runs_unless_rerun():
    configs = reference("bm25s-flat")
    tasks = [all_tasks()["beir/scifact"]]
    kept = build_plan(configs, tasks, stored={("bm25s-flat", "beir/scifact")}, rerun=False, status=available, runnable=runnable)
    assert kept.runs == [] and kept.already_stored == 1
    again = build_plan(configs, tasks, stored={("bm25s-flat", "beir/scifact")}, rerun=True, status=available, runnable=runnable)
    assert [(m, t.id) for m, t in again.runs] == [("bm25s-flat", "beir/scifact")]


def test_plan_asks_each_model_once_and_lists_absent_weights_as_needs_download():
    asked: list[str] = []

    def status(config) -> str:
        asked.append(config.name)
        return "needs download" if config.name == "bge-base-en-v1.5" else "available (package)"

    configs = reference("bm25s-flat", "bge-base-en-v1.5", "clip-vit-base-patch32")
    plan = build_plan(configs, default_tasks(), stored=set(), rerun=False, status=status, runnable=runnable)
    assert plan.needs_download == [("bge-base-en-v1.5", "needs download")]
    assert {model for model, _ in plan.runs} == {"bm25s-flat"}
    assert plan.nothing_to_run == ["clip-vit-base-patch32"]  # no ARO in the default demo: not even asked
    assert sorted(asked) == ["bge-base-en-v1.5", "bm25s-flat"]


def absent_dense(tmp_path) -> ModelConfig:
    return ModelConfig.model_validate(
        {
            "name": "fake-dense-absent",
            "family": ["dense"],
            "backend": "dense",
            "weights": {"path": str(tmp_path / "no-such-weights")},
            "metadata": {"parameters": 1000},
        }
    )


def test_demo_lists_models_without_weights_once_and_never_loads_them(tiny_task, tmp_path, monkeypatch):
    """A fake registry: bm25s-flat (runs on beir/tiny) and a dense model whose weights folder is absent."""
    import runners.session as session_module

    bm25s = reference_configs()["bm25s-flat"]
    # registered like a reference config, so nothing but its weights would stop a run of it
    fake = {"bm25s-flat": bm25s, "fake-dense-absent": (absent_dense(tmp_path), REFERENCE_DIR / "fake-dense-absent.yaml")}
    monkeypatch.setattr("submissions.registry.reference_configs", lambda: fake)
    sessions: list[str] = []
    real_init = session_module.ModelSession.__init__

    def spy(self, config, *args, **kwargs):
        sessions.append(config.name)
        real_init(self, config, *args, **kwargs)

    monkeypatch.setattr(session_module.ModelSession, "__init__", spy)
    result = CliRunner().invoke(main, ["demo", "--no-serve", "--full"])
    assert result.exit_code == 0, result.output
    assert sessions == ["bm25s-flat"]  # the absent model never got a session, let alone its weights
    needs = [line for line in result.output.splitlines() if "needs download, not run" in line]
    assert len(needs) == 1 and "fake-dense-absent" in needs[0]
    assert "running fake-dense-absent" not in result.output and "error" not in result.output.lower()
    summary = result.output.split("demo summary:", 1)[1]
    assert "ran      bm25s-flat  beir/tiny  ndcg_at_10=" in summary
    assert "skipped  fake-dense-absent: weights not on this machine (needs download" in summary
    assert "leaderboard serve (http://127.0.0.1:5000/)" in summary
    record = json.loads(progress_path().read_text())
    assert record["state"] == "done" and record["finished"] == record["total"] == 1
    assert read_progress() is None  # a finished demo shows no banner


def test_progress_record_follows_each_run_and_the_eta_comes_from_measured_durations():
    tasks = all_tasks()
    stsb, sts12, scifact = tasks["sts/stsb"], tasks["sts/sts12"], tasks["beir/scifact"]
    plan = DemoPlan(steps=[Step("m", (stsb, sts12)), Step("n", (scifact,))])
    seen: list[DemoProgress] = []

    def runner(step, on_start, on_done):
        for task in step.tasks:
            on_start(task)
            seen.append(read_progress())
            on_done(Outcome(step.model, task.id, True, 2.758 if task is stsb else 10.0, "cosine_spearman", 0.8))

    outcomes = execute_plan(plan, lexical=set(), runner=runner)
    assert [o.task for o in outcomes] == ["sts/stsb", "sts/sts12", "beir/scifact"]
    first, second, third = seen
    assert (first.finished, first.total, first.current_model, first.current_task) == (0, 3, "m", "sts/stsb")
    assert first.eta_s is None and first.untimed == 3  # nothing measured yet
    # after STS-B (1,379 pairs in 2.758 s): sts12 is estimated at that rate; SciFact has no measured rate yet
    assert second.current_task == "sts/sts12" and second.untimed == 1
    assert second.eta_s == pytest.approx(2.758 / 1379 * sum(sts12.expected_counts.values()))
    assert third.current_model == "n" and third.untimed == 1 and third.eta_s is None
    assert json.loads(progress_path().read_text())["state"] == "done"


def test_eta_uses_a_peer_of_the_same_kind_never_a_lexical_rate_for_a_neural_model():
    scifact = all_tasks()["beir/scifact"]
    timings = Timings(lexical={"bm25s-flat"})
    timings.add("bm25s-flat", scifact, 1.6)
    assert estimate_left(timings, [("splade-tiny", scifact)]) == (None, 1)
    timings.add("all-MiniLM-L6-v2", scifact, 288.0)
    assert estimate_left(timings, [("splade-tiny", scifact)]) == (pytest.approx(288.0), 0)


def test_a_stopped_demo_says_so_in_its_record_and_shows_no_banner():
    plan = DemoPlan(steps=[Step("m", (all_tasks()["sts/stsb"],))])

    def runner(step, on_start, on_done):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        execute_plan(plan, lexical=set(), runner=runner)
    assert json.loads(progress_path().read_text())["state"] == "stopped"
    assert read_progress() is None


def test_summary_says_what_ran_what_was_skipped_and_why_and_the_url():
    lucene = "needs the 'lucene' extra (pip install 'leaderboard[lucene]')"
    absent = [("bge-base-en-v1.5", "needs download"), ("bm25-flat", lucene), ("e5-base-v2", "needs download")]
    plan = DemoPlan(steps=[], needs_download=absent, nothing_to_run=["negclip"], already_stored=2)
    outcomes = [
        Outcome("bm25s-flat", "beir/scifact", True, 1.6, "ndcg_at_10", 0.67771),
        Outcome("all-MiniLM-L6-v2", "sts/sick-r", False, 0.4, reason="sts/sick-r: missing SICK.txt"),
    ]
    lines = summary_lines(plan, outcomes, 95.0, "http://127.0.0.1:5000/")
    text = "\n".join(lines)
    assert lines[0] == "demo summary: 1 of 2 runs stored in 2 min"
    assert "ran      bm25s-flat        beir/scifact  ndcg_at_10=0.6777  1.6 s" in text
    assert "skipped  all-MiniLM-L6-v2  sts/sick-r    sts/sick-r: missing SICK.txt" in text
    assert "skipped  bge-base-en-v1.5, e5-base-v2: weights not on this machine (needs download" in text
    assert f"skipped  bm25-flat: {lucene}" in text  # not a download: what models list says
    assert "negclip: no task in this demo's scope" in text
    assert "kept     2 runs already stored" in text
    assert lines[-1] == "the site: http://127.0.0.1:5000/"
    plan_text = "\n".join(plan_lines(plan, full=False))
    assert "  needs download, not run: bge-base-en-v1.5, e5-base-v2 (leaderboard models list" in plan_text
    assert f"  {lucene}, not run: bm25-flat" in plan_text


def test_banner_on_every_page_reads_the_progress_record():
    from web import create_app

    client = create_app().test_client()
    assert b"demo-banner" not in client.get("/").data
    write_progress(DemoProgress(total=17, finished=3, current_model="all-MiniLM-L6-v2", current_task="sts/stsb", eta_s=420, untimed=2))
    for page in ("/", "/about", "/models/", "/tasks/"):
        html = client.get(page).get_data(as_text=True)
        assert 'class="demo-banner"' in html, page
        assert "Demo running: run 4 of 17 (all-MiniLM-L6-v2 on sts/stsb); about 7 min left, plus 2 runs not timed yet" in html
    write_progress(DemoProgress(total=17, finished=17, state="done"))
    assert b"demo-banner" not in client.get("/").data


def test_banner_ignores_the_record_of_a_demo_whose_process_is_gone():
    write_progress(DemoProgress(total=5, pid=2**22 + 12345))  # above Linux's pid_max default: no such process
    assert read_progress() is None
    progress_path().write_text("{not json")
    assert read_progress() is None


def test_served_demo_starts_the_site_at_once_and_runs_the_plan_in_a_child(monkeypatch):
    """`leaderboard demo` serves while its child (`demo --no-serve`) runs; the child is stopped with the site."""
    events: list = []

    class FakeChild:
        def __init__(self, command):
            events.append(("child", command))

        def poll(self):
            return None  # still running when the site stops

        def terminate(self):
            events.append("terminated")

        def wait(self, timeout=None):
            return 0

    class FakeApp:
        def run(self, host, port):
            events.append(("serve", host, port))

    monkeypatch.setattr(demo_module, "present_tasks", lambda full: [all_tasks()["beir/scifact"]])
    monkeypatch.setattr(demo_module.subprocess, "Popen", FakeChild)
    monkeypatch.setattr("web.create_app", lambda: FakeApp())
    result = CliRunner().invoke(main, ["demo", "--full", "--port", "5123"])
    assert result.exit_code == 0, result.output
    (_, command), serve, terminated = events
    assert command[1:] == ["-m", "leaderboard.cli", "demo", "--no-serve", "--served-at", "http://127.0.0.1:5123/", "--full"]
    assert serve == ("serve", "127.0.0.1", 5123) and terminated == "terminated"
    assert "serving on http://127.0.0.1:5123/ now" in result.output
    assert os.environ.get("LEADERBOARD_CACHE_DIR")  # the child shares the cache dir, so the banner reads its record


def test_a_demo_without_any_data_says_so_in_one_line_and_serves_nothing(monkeypatch):
    monkeypatch.setattr("web.create_app", lambda: pytest.fail("no site without data"))
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: no benchmark data found; set LEADERBOARD_DATA_DIR")

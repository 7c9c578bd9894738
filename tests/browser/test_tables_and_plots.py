"""Wide tables and plots in a real browser (issue 17, items 2 and 3).

Rank, model and mean stay in view while a wide table scrolls (CSS ``position: sticky``, no
script).  Every plot a page shows is saved as a PNG during the run (to
``LEADERBOARD_PLOT_SHOTS`` if set, else a temporary folder) so a person can look at it; a plot
that would say nothing is a sentence and no image request.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def shots_dir(tmp_path_factory) -> Path:
    chosen = os.environ.get("LEADERBOARD_PLOT_SHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("plot-shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def inside(inner: dict, outer: dict) -> bool:
    return inner["x"] >= outer["x"] - 1 and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1


def test_rank_model_and_mean_stay_in_view_when_a_wide_table_scrolls(live_site, browser):
    base, _seeded = live_site
    context = browser.new_context(viewport={"width": 560, "height": 800})  # narrow: the board scrolls sideways
    page = context.new_page()
    page.goto(base + "/benchmarks/beir")
    wrap = page.locator(".table-wrap").first
    scroll = wrap.evaluate("w => w.scrollWidth - w.clientWidth")
    assert scroll > 100  # the table really is wider than its box
    first = "#board tbody tr:first-child"
    for position in (0, scroll // 2, scroll):
        wrap.evaluate(f"w => {{ w.scrollLeft = {position}; }}")
        page.wait_for_timeout(50)
        outer = wrap.bounding_box()
        for cell in (f"{first} td.rank", f"{first} th.model", f"{first} td.mean", "#board thead th.mean", "#board thead th.model"):
            assert inside(box(page, cell), outer), (cell, position)
    # the model column starts where the rank column ends: they never overlap
    wrap.evaluate(f"w => {{ w.scrollLeft = {scroll}; }}")
    rank, model = box(page, f"{first} td.rank"), box(page, f"{first} th.model")
    assert model["x"] >= rank["x"] + rank["width"] - 1
    context.close()


def test_names_wrap_only_between_words(live_site, page):
    base, _seeded = live_site
    page.goto(base + "/models/all-MiniLM-L6-v2")
    styles = page.locator("table.kv td").first.evaluate("td => [getComputedStyle(td).wordBreak, getComputedStyle(td).hyphens]")
    assert styles == ["normal", "manual"]


def save_plots(page, base: str, path: str, shots_dir: Path, prefix: str) -> list[str]:
    page.goto(base + path)
    page.wait_for_load_state("networkidle")
    saved = []
    for i, image in enumerate(page.locator("img[src*='/plots/']").all()):
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        src = image.get_attribute("src")
        response = page.request.get(base + src if src.startswith("/") else src)
        assert response.ok and response.headers["content-type"] == "image/png"
        name = f"{prefix}-{i}-{src.split('/plots/')[1].split('.png')[0]}.png"
        (shots_dir / name).write_bytes(response.body())
        saved.append(name)
    return saved


def test_every_plot_is_an_image_saved_for_looking_at(live_site, page, shots_dir):
    base, seeded = live_site
    saved = []
    saved += save_plots(page, base, "/benchmarks/beir", shots_dir, "beir")
    saved += save_plots(page, base, "/compare?benchmark=beir&" + "&".join(f"model={m}" for m in seeded.main), shots_dir, "compare")
    saved += save_plots(page, base, "/models/community-e5-small", shots_dir, "model")
    assert any("bars" in name for name in saved)
    page.goto(base + "/benchmarks/beir")
    assert page.locator("#note-params").is_visible()  # two complete rows with a size: a sentence, no plot
    print(f"plots saved in {shots_dir}: {', '.join(saved)}")


def test_a_plot_of_nothing_is_a_sentence_and_no_image_request(live_site, page):
    base, _seeded = live_site
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url) if "/plots/" in request.url else None)
    page.goto(base + "/benchmarks/sts")
    page.wait_for_load_state("networkidle")
    assert page.locator("#note-bars").is_visible()
    assert "one dataset only" in page.locator("#note-bars").inner_text()
    assert not any("bars.png" in url for url in requested)

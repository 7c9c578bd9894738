"""The leaderboard in a real browser: load, sort, filter, open a model, see a plot, download CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from benchmarks.registry import task_spec
from tests.browser.seeding import BEIR_TASKS

pytestmark = pytest.mark.browser


def board_rows(page) -> list[str]:
    return page.locator("#board tbody tr").evaluate_all("rows => rows.map(r => r.dataset.model)")


def test_home_page_shows_every_benchmark_and_the_overall_table(live_site, page):
    base, seeded = live_site
    page.goto(base + "/")
    assert "leaderboard" in page.title()
    for benchmark in ("beir", "sts", "tatoeba", "aro"):
        assert page.locator(f"#card-{benchmark}").is_visible()
    leaders = page.locator("#card-beir ol li a").all_inner_texts()
    complete = sorted((m for m in seeded.main if seeded.beir_mean(m) is not None), key=lambda m: -seeded.beir_mean(m))
    assert leaders == complete
    assert page.locator("#overall-table tbody tr").count() == len(seeded.main)


def test_sorting_a_column(live_site, page):
    base, seeded = live_site
    page.goto(base + "/benchmarks/beir")
    task = "beir/nfcorpus"
    have = [m for m in seeded.main if task in seeded.main[m]]
    page.locator(f'th[data-sort-key="{task}"] a').click()
    page.wait_for_url("**sort=beir%2Fnfcorpus**")
    assert board_rows(page) == sorted(have, key=lambda m: -seeded.main[m][task])
    assert page.locator(f'th[data-sort-key="{task}"]').get_attribute("aria-sort") == "descending"
    page.locator(f'th[data-sort-key="{task}"] a').click()
    page.wait_for_url("**order=asc**")
    assert board_rows(page) == sorted(have, key=lambda m: seeded.main[m][task])


def test_applying_filters_changes_the_rows_and_the_url(live_site, page):
    base, seeded = live_site
    page.goto(base + "/benchmarks/beir")
    page.get_by_label("sparse").check()  # the form submits itself on change
    page.wait_for_url("**family=sparse**")
    sparse = [m for m, c in seeded.configs.items() if "sparse" in c.family and any(t in seeded.main[m] for t in BEIR_TASKS)]
    assert board_rows(page) == sparse
    page.goto(base + "/benchmarks/beir")
    page.get_by_label("open weights only").check()
    page.wait_for_url("**open=1**")
    assert set(board_rows(page)) == {
        m for m, c in seeded.configs.items() if c.metadata.open_weights and any(t in seeded.main[m] for t in BEIR_TASKS)
    }
    page.get_by_label("zero-shot cells only").check()
    page.wait_for_url("**zero_shot=1**")
    row = page.locator('#board tr[data-model="community-e5-small"]')
    assert row.locator("td.mean").inner_text().startswith("partial")
    # the filtered view is shareable: opening the URL afresh gives the same rows
    shared = page.url
    rows = board_rows(page)
    page.goto(shared)
    assert board_rows(page) == rows


def test_model_page_shows_manifest_and_reproduce_command(live_site, page):
    base, seeded = live_site
    page.goto(base + "/benchmarks/beir")
    page.locator("#board").get_by_role("link", name="all-MiniLM-L6-v2", exact=True).click()
    page.wait_for_url("**/models/all-MiniLM-L6-v2")
    assert page.locator("h1#model-name").inner_text() == "all-MiniLM-L6-v2"
    assert page.locator("#cmd-all").is_visible()
    tasks = task_spec(sorted(seeded.main["all-MiniLM-L6-v2"]))  # complete benchmarks by name
    assert page.locator("#cmd-all").inner_text().strip() == f"leaderboard run all-MiniLM-L6-v2 --tasks {tasks}"
    assert page.get_by_text("leaderboard run all-MiniLM-L6-v2 --tasks beir/scifact", exact=True).is_visible()
    manifest = page.locator("details.manifest").first
    assert manifest.get_attribute("open") is None  # long sections fold
    manifest.locator("summary").click()
    for text in ("Hashes", "Versions", "Hardware", "Timings (seconds)"):
        assert manifest.get_by_role("heading", name=text).is_visible()
    assert manifest.get_by_text("config_sha256").is_visible() and manifest.get_by_text("transformers", exact=True).is_visible()
    assert page.locator("#reported-table").get_by_text("OK", exact=True).first.is_visible()


def test_plot_images_load(live_site, page):
    """Each plot is an image that loads, or (fewer than 3 points) one sentence and no image."""
    base, _ = live_site
    page.goto(base + "/benchmarks/beir")
    images = 0
    for kind in ("params", "bars", "throughput", "dims"):
        if page.locator(f"#note-{kind}").count():
            assert page.locator(f"#plot-{kind}").count() == 0 and page.locator(f"#note-{kind}").is_visible(), kind
            continue
        image = page.locator(f"#plot-{kind}")
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        assert image.evaluate("img => img.naturalWidth") > 300, kind
        images += 1
    assert images >= 1  # the per-dataset bars of the top rows: three datasets


def test_csv_download_parses_to_the_table(live_site, page):
    base, seeded = live_site
    page.goto(base + "/benchmarks/beir?family=dense")
    with page.expect_download() as info:
        page.locator('a[data-download="csv"]').first.click()
    download = info.value
    assert download.suggested_filename == "leaderboard-beir.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["model"] for r in rows] == board_rows(page)
    for row in rows:
        for task in BEIR_TASKS:
            value = seeded.main[row["model"]].get(task)
            assert row[task] == ("" if value is None else repr(value))


def test_the_per_query_explorer_sorts_filters_and_opens_a_query_under_the_strict_csp(live_site, page):
    base, _ = live_site
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(base + "/tasks/beir/scifact")
    page.locator("#explore-link a").click()
    page.wait_for_url("**/tasks/beir/scifact/queries?**")
    rows = page.locator("#explorer-table tbody tr")
    assert rows.count() == 5  # the seeded runs' five judged queries
    page.locator("#explorer-table thead th a", has_text="Query").click()
    page.wait_for_url("**sort=id**")
    assert page.locator("#explorer-table tbody tr td:first-child").all_inner_texts() == ["q1", "q2", "q3", "q4", "q5"]
    page.locator("#explorer-filter a", has_text="A wins").click()  # the seeded top row beats the second on every query
    page.wait_for_url("**show=a**")
    assert page.locator("#explorer-table tbody tr").count() == 5
    page.locator("#explorer-table tbody tr td:first-child a").first.click()
    page.wait_for_url("**/queries/item?**")
    assert page.locator("h1").inner_text().endswith("q1")
    assert page.locator(".note").count() >= 1  # seeded runs stored no ranking and the data is not here: said, not hidden
    assert errors == []  # no CSP violation, no script error

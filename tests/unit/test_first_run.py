"""Empty pages suggest commands that can work (issue 17 item 6): the data step, then a reference model able to run the task.

The ARO pages once suggested ``leaderboard run bm25s-flat --tasks aro/…`` (BM25 scores no images)
and said nothing about ARO's data, which is put in place by hand.
"""

from __future__ import annotations

import html as html_lib

from benchmarks.registry import find_benchmark, find_task
from leaderboard.views.first_run import first_run, first_task
from submissions.registry import reference_configs
from submissions.schema import backend_supports
from web import create_app


def empty_block(html: str) -> str:
    return html_lib.unescape(html.split('id="empty"', 1)[1].split("</div>", 1)[0])


def test_empty_aro_pages_suggest_the_data_step_and_a_clip_model_with_its_weights_source():
    client = create_app().test_client()
    clip = reference_configs()["clip-vit-base-patch32"][0]
    for url, task in (("/tasks/aro/vg-relation", "aro/vg-relation"), ("/benchmarks/aro", first_task("aro"))):
        block = empty_block(client.get(url).get_data(as_text=True))
        assert "bm25s-flat" not in block, url
        assert "<code>leaderboard data list --all</code>" in block and "by hand" in block  # ARO has no fetch
        assert f"<code>leaderboard run clip-vit-base-patch32 --tasks {task}</code>" in block
        assert f"Hugging Face {clip.weights.hf} at revision {clip.weights.revision[:8]}, downloaded once online" in block


def test_every_suggested_model_can_run_its_task_and_fetchable_data_is_fetched():
    for task_id in ("beir/nfcorpus", "sts/stsb", "tatoeba/deu-eng", "aro/coco-order"):
        task = find_task(task_id)
        steps = first_run(task_id).steps
        model = steps[-1][0].split()[2]
        config = reference_configs()[model][0]
        assert backend_supports(config.backend, find_benchmark(task.benchmark).capability), task_id
    assert first_run("beir/nfcorpus").steps[0][0] == "leaderboard data fetch beir/nfcorpus"
    assert first_run("beir/nfcorpus").steps[-1][0] == "leaderboard run bm25s-flat --tasks beir/nfcorpus"
    assert first_run("no/such-task") is None


def test_an_empty_benchmark_suggests_its_smallest_task_never_msmarco_first():
    html = empty_block(create_app().test_client().get("/benchmarks/beir").get_data(as_text=True))
    assert "msmarco" not in html
    assert "<code>leaderboard data fetch beir/nfcorpus</code>" in html  # 3,633 docs: the smallest BEIR set
    assert "<code>leaderboard run bm25s-flat --tasks beir/nfcorpus</code>" in html


def test_an_empty_benchmark_prefers_a_task_whose_files_are_here(tiny_task):
    assert first_task("beir") == "beir/tiny"  # its files are in the data dir; nothing to fetch
    assert first_run("beir/tiny").steps == (("leaderboard run bm25s-flat --tasks beir/tiny", "weights: no weights"),)


def test_results_on_an_empty_benchmark_print_commands_that_can_work():
    from click.testing import CliRunner

    from leaderboard.cli import main

    output = CliRunner().invoke(main, ["results", "--benchmark", "aro"]).output
    expected = f"'leaderboard data list --all' then 'leaderboard run clip-vit-base-patch32 --tasks {first_task('aro')}'"
    assert output.strip() == f"no aro results yet; try: {expected}"

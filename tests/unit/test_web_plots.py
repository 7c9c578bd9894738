"""Plots that read (issue 17, item 3): tick labels, a sane score axis, legends outside, no plot of nothing, capped bars.

Each figure is caught before it is turned into a PNG (``web.plots._png``) and inspected as
matplotlib laid it out.  The browser tests save the PNGs themselves, to be looked at.
"""

from __future__ import annotations

import os
import re

import pytest

from leaderboard import schema
from leaderboard.db import make_engine, session_factory
from tests.browser.seeding import BEIR_TASKS, Seeded, seeded_copy
from tests.unit.test_web import add_result
from web import create_app, plot_data, plots
from web.filters import Filters


@pytest.fixture
def seeded() -> Seeded:
    return seeded_copy(os.environ["LEADERBOARD_DB"])


@pytest.fixture
def app():
    return create_app()


@pytest.fixture
def figures(monkeypatch) -> list:
    caught: list = []

    def keep(fig) -> bytes:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig).draw()  # lay it out as savefig would
        caught.append(fig)
        return b"png"

    monkeypatch.setattr(plots, "_png", keep)
    return caught


def draw(app, render, *args):
    with app.test_request_context("/"):
        render(*args)


def visible_labels(ax, axis: str) -> list[str]:
    low, high = ax.get_xlim() if axis == "x" else ax.get_ylim()
    ticks = ax.xaxis.get_major_ticks() if axis == "x" else ax.yaxis.get_major_ticks()
    labels = []
    for tick in ticks:
        if min(low, high) <= tick.get_loc() <= max(low, high) and tick.label1.get_visible() and tick.label1.get_text():
            labels.append(tick.label1.get_text())
    return labels


def three_params_points() -> None:
    for task in BEIR_TASKS:
        add_result("third-model", task, 0.40 + 0.001 * BEIR_TASKS.index(task), parameters=300_000_000)


def test_a_log_axis_within_one_decade_has_tick_labels(app, figures):
    """250–800 documents/s holds no whole decade: matplotlib drew the throughput axis with no label at all."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    ax.scatter([250, 400, 800], [0.5, 0.6, 0.7])
    ax.set_xscale("log")
    plots._human_log_axis(ax.xaxis, [250, 400, 800])
    FigureCanvasAgg(fig).draw()
    assert len(visible_labels(ax, "x")) >= 2


def test_the_throughput_plot_has_x_tick_labels(seeded, app, figures, monkeypatch):
    """Complete rows encoding at 250 and 800 documents/s: no whole decade in range, so matplotlib drew no x label."""
    with session_factory(make_engine())() as session:
        ids = dict(session.query(schema.Model.name, schema.Model.id))
    speeds = [(ids["community-e5-small"], "beir/scifact", 250.0, "cpu"), (ids["closed-api-embedder"], "beir/scifact", 800.0, "cpu")]
    monkeypatch.setattr(plot_data, "throughputs", lambda _session, _benchmark: speeds)
    draw(app, plots.render_throughput, "beir", Filters())
    (fig,) = figures
    assert visible_labels(fig.axes[0], "x")


def test_a_score_axis_spans_at_least_the_minimum(seeded, app, figures):
    """Two means 0.0015 apart filled the whole height; the axis now spans at least MIN_SPAN."""
    three_params_points()
    draw(app, plots.render_params, "beir", Filters())
    low, high = figures[0].axes[0].get_ylim()
    assert high - low >= plots.MIN_SPAN - 1e-12
    assert low >= 0 and high <= 1


@pytest.mark.parametrize("kind", ["params", "throughput", "bars"])
def test_legends_sit_outside_the_data_area(seeded, app, figures, kind):
    three_params_points()
    if kind == "bars":
        draw(app, plots.render_bars, "beir", ["community-e5-small", "bm25s-flat"])
    else:
        draw(app, getattr(plots, f"render_{kind}"), "beir", Filters())
    ax = figures[0].axes[0]
    legend = ax.get_legend()
    assert legend is not None
    renderer = figures[0].canvas.get_renderer()
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1 - 1


def test_fewer_than_three_points_is_a_sentence_and_no_image(seeded, app):
    client = app.test_client()
    html = client.get("/benchmarks/beir").get_data(as_text=True)
    complete_with_size = [m for m in seeded.main if seeded.beir_mean(m) is not None and seeded.configs[m].metadata.parameters]
    assert len(complete_with_size) < plot_data.MIN_POINTS
    assert 'id="note-params"' in html and "plots/params.png" not in html
    sentence = r'<p class="plot-note" id="note-params">Score vs parameters: No plot yet: only \d complete rows? with a parameter count'
    assert re.search(sentence, html)
    three_params_points()
    html = client.get("/benchmarks/beir").get_data(as_text=True)
    assert 'id="note-params"' not in html and "plots/params.png" in html


def test_a_per_dataset_chart_of_one_dataset_is_a_sentence(seeded, app):
    client = app.test_client()
    html = client.get("/benchmarks/sts").get_data(as_text=True)
    assert 'id="note-bars"' in html and "plots/bars.png" not in html and "one dataset only (sts12)" in html
    model = client.get("/models/all-MiniLM-L6-v2").get_data(as_text=True)
    assert "bars.png?benchmark=sts" not in model and "one dataset only (sts12)" in model
    assert "bars.png?benchmark=beir" in model  # two BEIR datasets: a chart
    add_result("one-beir-dataset", "beir/scifact", 0.5)  # the board has three BEIR columns, this model one
    lone = client.get("/models/one-beir-dataset").get_data(as_text=True)
    assert "bars.png?benchmark=beir" not in lone and "one-beir-dataset has results on one dataset only (scifact)" in lone


def test_the_tatoeba_chart_is_capped_with_its_axis_in_view(app, figures):
    pairs = [f"tatoeba/x{i:03d}-eng" for i in range(112)]
    for i, task in enumerate(pairs):
        add_result("bitext-model", task, i / 200)
    draw(app, plots.render_bars, "tatoeba", ["bitext-model"])
    ax = figures[0].axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 2 * plot_data.BARS_KEEP + 1
    assert labels[plot_data.BARS_KEEP] == f"{112 - 2 * plot_data.BARS_KEEP} others (mean)"
    assert labels[0] == "x111-eng" and labels[-1] == "x000-eng"  # best first, worst last
    assert ax.xaxis.get_major_ticks()[1].label2.get_visible()  # the score axis at the top as well
    assert figures[0].get_size_inches()[1] < 12


def test_titles_and_axis_labels_fit_in_the_figure(app, figures):
    """ARO's three main scores' labels, joined, ran out of the figure on both sides."""
    labels = ("VG-Relation macro accuracy (ARO paper)", "VG-Attribution macro accuracy (ARO paper)", "precision@1 (ARO paper)")
    for task, label in zip(("aro/vg-relation", "aro/vg-attribution", "aro/coco-order"), labels, strict=True):
        add_result("clip-like", task, 0.6)
        with session_factory(make_engine())() as session, session.begin():
            session.get(schema.Task, task).metric_spec = {"metrics": {"ndcg_at_10": {"label": label}}}
    draw(app, plots.render_bars, "aro", ["clip-like"])
    fig = figures[0]
    renderer = fig.canvas.get_renderer()
    width = fig.bbox.width
    ax = fig.axes[0]
    for text in (ax.title, ax._left_title, ax.xaxis.label):
        if text.get_text():
            extent = text.get_window_extent(renderer)
            assert extent.x0 >= -1 and extent.x1 <= width + 1, text.get_text()

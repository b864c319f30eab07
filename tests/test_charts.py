"""qaf.charts.score_bar_chart: the report's chart of standard scores (issue 4 item 5), drawn on
the server as SVG that reads the same to a screen reader as it looks."""

from __future__ import annotations

import re
from decimal import Decimal
from xml.etree import ElementTree

from qaf.charts import score_bar_chart

ROWS = [
    ("S1 Safeguarding <people>", Decimal("3.00"), "green"),
    ("S2 Medicines", Decimal("2.50"), "amber"),
    ("C1 Dignity", Decimal("1.67"), "red"),
    ("W1 Governance", None, None),
]


def _svg(**kwargs):
    markup = score_bar_chart(ROWS, title="Scores", id_prefix="t", **kwargs)
    return markup, ElementTree.fromstring(markup)  # noqa: S314 - our own markup


def test_each_standard_is_a_bar_to_scale_with_its_mean_and_rag_written():
    markup, root = _svg()
    ns = {"s": "http://www.w3.org/2000/svg"}
    bars = [
        rect for rect in root.iterfind(".//s:g/s:rect", ns) if rect.find("s:title", ns) is not None
    ]
    widths = [float(bar.get("width")) for bar in bars]
    assert len(widths) == 3  # the unscored standard has no bar
    # 3.00 : 2.50 : 1.67 on the same scale.
    assert abs(widths[0] / widths[1] - 3.00 / 2.50) < 0.01
    assert abs(widths[0] / widths[2] - 3.00 / 1.67) < 0.01
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert {"3.00 Green", "2.50 Amber", "1.67 Red", "Not scored"} <= set(texts)


def test_colour_is_not_the_only_signal_and_the_description_says_every_score():
    markup, root = _svg()
    assert 'role="img"' in markup
    desc = root.find("{http://www.w3.org/2000/svg}desc").text
    assert "S2 Medicines: 2.50, Amber." in desc
    assert "W1 Governance: not scored." in desc
    # Amber and red bars carry their own patterns, not only a colour.
    assert re.search(r'fill="url\(#t-amber\)"', markup)
    assert re.search(r'fill="url\(#t-red\)"', markup)


def test_labels_are_escaped_and_long_ones_clipped():
    markup, _ = _svg(label_width=120)
    assert "<people>" not in markup
    assert "S1 Safeguardi" in markup and "…" in markup

"""qaf.charts.sparkline: a small column chart with a text alternative that says its numbers."""

from __future__ import annotations

from qaf.charts import SPARK_EARLIER, SPARK_RECENT, sparkline


def test_columns_to_scale_with_the_recent_ones_after_a_rule():
    svg = sparkline([0, 2, 0, 1, 4], title="Entries <each> week", recent=2, id_prefix="s")
    assert 'role="img"' in svg and 'aria-labelledby="s-title s-desc"' in svg
    assert '<title id="s-title">Entries &lt;each&gt; week</title>' in svg
    assert (
        '<desc id="s-desc">5 entries in the last 2 weeks, 2 in the 3 weeks before; '
        "the most in one week was 4.</desc>"
    ) in svg
    assert svg.count("<rect") == 3  # empty weeks draw nothing
    assert svg.count(SPARK_RECENT) == 2 and svg.count(SPARK_EARLIER) == 1
    assert 'stroke-dasharray="2 2"' in svg  # not colour alone


def test_nothing_to_show():
    svg = sparkline([0] * 65, title="Entries", recent=13)
    assert "No entries in the 65 weeks shown." in svg
    assert "<rect" not in svg


def test_no_recent_part():
    svg = sparkline([1, 1], title="Entries", noun=("complaint", "complaints"))
    assert "2 complaints in 2 weeks; the most in one week was 1." in svg
    assert "stroke-dasharray" not in svg

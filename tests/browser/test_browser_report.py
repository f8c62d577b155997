"""The evaluation report in a phone's browser: nothing runs off the screen sideways."""

from __future__ import annotations

import pytest

from assistant.evaluation.report import html
from assistant.evaluation.summary import build_summary
from tests.browser.conftest import screenshot
from tests.test_eval_report import _record

pytestmark = pytest.mark.browser


def test_the_report_fits_a_phone_and_its_tables_scroll_inside_the_page(chromium, tmp_path):
    long = "a long answer that goes on " * 20
    records = [_record(f"q{n}", ["6000"], long if n % 2 else "6,000 [1].") for n in range(12)]
    report = tmp_path / "report.html"
    report.write_text(html(build_summary(records, {"backend": "local", "k": 5}), records))
    tab = chromium.new_context(viewport={"width": 390, "height": 844}).new_page()
    tab.goto(report.as_uri())
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    for chart in tab.locator("svg").all():
        box = chart.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390
    assert tab.locator("table.questions tr").count() == 13  # every question, and the header
    tab.locator("h2", has_text="Every question").scroll_into_view_if_needed()
    screenshot(tab, "report-phone.png")
    tab.context.close()

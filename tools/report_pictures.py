"""Draw the pictures of docs/reports.md: every standard dashboard's charts and the
chart examples, from the sample book of business, into docs/images/.

Run from the repository root: ``PYTHONPATH=src python tools/report_pictures.py``.
The clock is fixed, so the pictures change only when the drawing does.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import successkit as sk
from successkit.reports.charts import bar_chart, line_chart, stacked_bar_chart
from successkit.reports.sample import sample_book

OUT = Path(__file__).resolve().parent.parent / "docs" / "images"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    kit = sk.open("memory://", clock=sk.FixedClock(datetime(2026, 12, 1, 9, tzinfo=timezone.utc)))
    csms = sample_book(kit, 120)
    boards = {
        "portfolio": kit.dashboards.portfolio(csms[0]),
        "arr-at-risk": kit.dashboards.arr_at_risk(),
        "renewals": kit.dashboards.renewals(),
        "trends": kit.dashboards.trends(weeks=6),
        "cta-effectiveness": kit.dashboards.cta_effectiveness(),
        "success-plans": kit.dashboards.success_plans(),
    }
    for name, board in boards.items():
        for i, chart in enumerate(board.charts(), start=1):
            (OUT / f"report-{name}-{i}.svg").write_text(chart, encoding="utf-8")
    examples = {
        "bar": bar_chart(
            ["Alice Kim", "Bruno Diaz", "Esperanza Villalobos-Montgomery"],
            [1_462_000, 1_856_000, 1_220_000],
            title="ARR by CSM",
            value_label="ARR",
            category_label="CSM",
        ),
        "stacked": stacked_bar_chart(
            ["FY2026-Q3", "FY2026-Q4", "FY2027-Q1"],
            {
                "Green": [610_000, 1_200_000, 900_000],
                "Yellow": [200_000, 350_000, 120_000],
                "Red": [90_000, 0, 260_000],
            },
            title="Renewing ARR by grade",
            value_label="ARR",
        ),
        "line": line_chart(
            ["26 Oct", "2 Nov", "9 Nov", "16 Nov", "23 Nov", "30 Nov"],
            {"mean score": [63.4, 64.1, 64.5, 65.5, 66.7, 67.0], "NPS": [-18.2, 6.9, 20.0, 10.0, None, -7.7]},
            title="Score and NPS",
            category_label="week starting",
        ),
    }
    for name, chart in examples.items():
        (OUT / f"chart-{name}.svg").write_text(chart, encoding="utf-8")


if __name__ == "__main__":
    main()

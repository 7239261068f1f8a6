"""Bundle asset kinds for customer signals and health (VAULT_05, SCORE_12, C360_03):
usage metrics, surveys, scorecard measures, scorecards, 360 layouts and saved reports
(REPORT_02).  Each is one :func:`~successkit.automation.bundle_assets.register` call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from successkit.signals.surveys import check_questions

from .bundle_assets import AssetKind, Deploying, register

register(
    AssetKind(
        "metrics",
        30,
        frozenset({"key"}),
        frozenset({"label", "unit"}),
        create=lambda d, e: d.kit.metrics.declare(e["key"], e.get("label"), unit=e.get("unit")).id,
        ident="key",
        stored="metric",
    )
)


def _check_survey(kit: Any, e: Mapping[str, Any]) -> None:
    check_questions(e["questions"])


register(
    AssetKind(
        "surveys",
        31,
        frozenset({"name", "questions"}),
        create=lambda d, e: d.kit.surveys.create(e["name"], e["questions"]).id,
        check=_check_survey,
        stored="survey",
        current=lambda kit, survey: {"questions": survey.definition.get("questions", [])},
        normal=lambda kit, e: {"questions": check_questions(e["questions"])},
    )
)

_MEASURE_OPTIONS = ("label", "source", "description", "staleness_days", "locked")


def _measure(d: Deploying, e: Mapping[str, Any]) -> str:
    return d.kit.measures.create(e["key"], **{k: e[k] for k in _MEASURE_OPTIONS if k in e}).id


register(
    AssetKind(
        "measures",
        50,
        frozenset({"key"}),
        frozenset(_MEASURE_OPTIONS),
        create=_measure,
        ident="key",
        flags=frozenset({"locked"}),
        stored="measure",
    )
)


def _scorecard(d: Deploying, e: Mapping[str, Any]) -> str:
    options = {k: v for k, v in e.items() if k not in ("key", "measures")}
    return d.kit.scorecards.create(e["key"], measures=e["measures"], **options).id


register(
    AssetKind(
        "scorecards",
        51,
        frozenset({"key", "measures"}),
        frozenset(
            {
                "name",
                "description",
                "target",
                "default",
                "position",
                "where",
                "logic",
                "scheme",
                "groups",
                "na_policy",
                "na_value",
                "period",
                "trend_tolerance",
                "rollup",
            }
        ),
        create=_scorecard,
        ident="key",
        flags=frozenset({"default"}),
        stored="scorecard",
    )
)


def _layout(d: Deploying, e: Mapping[str, Any]) -> str:
    options = {k: v for k, v in e.items() if k not in ("key", "sections")}
    return d.kit.layouts.create(e["key"], e["sections"], **options).id


register(
    AssetKind(
        "layouts",
        52,
        frozenset({"key", "sections"}),
        frozenset({"name", "target", "user_groups", "relationship_types", "where", "logic", "default", "position"}),
        create=_layout,
        ident="key",
        flags=frozenset({"default"}),
        stored="view_layout",
    )
)


# ---------------------------------------------------------------------------- reports
def _report(d: Deploying, e: Mapping[str, Any]) -> str:
    from successkit.reports.saved import deploy_report

    return deploy_report(d.kit, e, bundle=d.bundle_name).id


def _report_now(kit: Any, report: Any) -> Mapping[str, Any]:
    from successkit.reports.saved import report_asset

    return report_asset(report)


register(
    AssetKind(
        "reports",
        95,  # after every kind a report could count (REPORT_02)
        frozenset({"name"}),
        frozenset({"title", "record_set", "where", "logic", "by", "measures", "sort", "chart"}),
        create=_report,
        stored="report",
        current=_report_now,
    )
)

"""What every source type shares (SCORE_02): the reading of one measure for
one record, the context a read is for, and the :class:`SourceType` protocol
each source type implements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import attrs

from successkit.errors import RuleViolation, article
from successkit.records import Measure

if TYPE_CHECKING:
    from successkit.kit import Kit

__all__ = ["MAX_DAYS", "TARGETS", "ReadContext", "Reading", "SourceType", "bad_source", "check_keys"]

#: What a scorecard scores, and the field of related records that points at one.
TARGETS = {"company": "company_id", "relationship": "relationship_id"}
#: The longest window a count may look back (a century).
MAX_DAYS = 36_500


class Reading(NamedTuple):
    """One measure's value for one record: ``raw`` as read (a number, a letter,
    a count), ``value`` the number its mapping reads, ``as_of`` its date for
    staleness (None: it does not age).  A named tuple: a scoring pass makes one
    per record and measure."""

    raw: Any
    value: Any
    as_of: date | None = None


@attrs.frozen(eq=False)
class ReadContext:
    """What a read is for: the records of ``target`` kind (``every``: all of
    them, so a reader need not filter by id), and the moment windows end."""

    kit: Kit
    target: str
    records: Sequence[Any]
    every: bool
    now: datetime

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.records]


def bad_source(message: str, value: Any) -> RuleViolation:
    """A refusal of a measure source: SCORE_02, with the offending value."""
    return RuleViolation("SCORE_02", message, value=value)


def check_keys(source: Mapping[str, Any], allowed: set[str]) -> None:
    """Refuse a key of ``source`` that is not in ``allowed``."""
    unknown = set(source) - allowed
    if unknown:
        raise bad_source(
            f"{article(source['type'])} source has no key; known: {', '.join(sorted(allowed))}", sorted(unknown)[0]
        )


class SourceType:
    """One kind of source.  ``mapped``: whether its readings go through the
    measure's mapping (a manual entry is already a score)."""

    name: ClassVar[str] = ""
    mapped: ClassVar[bool] = True

    def check(self, kit: Kit, source: Mapping[str, Any], draft: Measure) -> dict[str, Any]:
        """The checked, JSON-ready form of ``source``, for the measure ``draft``
        (whose own source is not set yet); refusals name SCORE_02."""
        raise NotImplementedError

    def check_target(self, kit: Kit, source: Mapping[str, Any], target: str) -> None:
        """Refuse a source that cannot score records of ``target`` (a field they lack)."""

    def read(self, ctx: ReadContext, measures: Sequence[Measure]) -> dict[str, dict[str, Reading]]:
        """Readings of ``measures`` for the context's records: measure key -> record id -> reading."""
        raise NotImplementedError

"""What every record is: ids, references and the :class:`Record` base class.

The records are plain, frozen attrs classes.

Every record carries ``id``, ``version`` (for optimistic concurrency, STORE_04),
timestamps, its creator and a ``fields`` mapping for custom fields.  A change is
a new record made with :func:`attrs.evolve`; the services in the kit do that and
enforce the rules.  Reference fields carry ``metadata={"ref": kind}`` so that
generic code (erasure, PERSON_01) can find every reference to a record.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar

import attrs

from .checks import check_record

__all__ = ["Record", "entropy", "new_id", "ordered_ids", "ref"]


#: Where ids draw their random bytes; tests that replay one history on several
#: stores swap in a deterministic source.
entropy: Callable[[int], bytes] = os.urandom


def new_id() -> str:
    """A random, unguessable record id: 128 random bits as 32 hex characters."""
    return entropy(16).hex()


def ordered_ids(at: datetime, n: int) -> list[str]:
    """``n`` ids for rows of an append-only log written at ``at``, 32 hex characters like
    :func:`new_id`: the microseconds since 1970, the row's number in the batch and 48
    random bits.  Ids that grow with time are appended to the end of the id index
    instead of landing all over it, a third less work per row of a bulk insert."""
    micros = max(0, int(at.timestamp() * 1_000_000)) % 16**14
    salt = entropy(6 * n).hex()
    return [f"{micros:014x}{i % 16**6:06x}{salt[12 * i : 12 * i + 12]}" for i in range(n)]


def ref(
    kind: str | tuple[str, ...], *, default: Any = None, on_erase: str = "clear", kind_field: str | None = None
) -> Any:
    """An attrs field that refers to a record of ``kind``.

    Erasure of a person (PERSON_01) reads the metadata: ``on_erase="delete"``
    deletes the referring record instead of clearing the field (a share to the
    person means nothing without them); ``kind_field`` names the sibling field
    that says which kind a multi-kind reference points at (``owner_kind``), so
    only references of the erased kind are listed and the sibling is reset.
    """
    if on_erase not in ("clear", "delete"):
        raise ValueError(f"on_erase is 'clear' or 'delete', not {on_erase!r}")
    metadata: dict[str, Any] = {"ref": kind}
    if on_erase != "clear":
        metadata["on_erase"] = on_erase
    if kind_field is not None:
        metadata["kind_field"] = kind_field
    return attrs.field(default=default, metadata=metadata)


@attrs.frozen(kw_only=True)
class Record:
    """Fields every record has."""

    __kind__: ClassVar[str] = "record"
    #: Indexes of the kind's table, each a tuple of fields written like sort keys
    #: (``"-arr"`` descending): ``("stage", "-arr")`` serves ``stage = X`` sorted
    #: by ``-arr``.  The SQL backends end each with ``id``, every sort's tie-break
    #: (see :mod:`successkit.storage.indexes`).
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = ()
    #: Column sets no two records of the kind may share.
    __unique__: ClassVar[tuple[tuple[str, ...], ...]] = ()
    #: Other names the query language takes for columns (``score.grade`` for ``score_grade``).
    __aliases__: ClassVar[Mapping[str, str]] = {}

    id: str = attrs.field(factory=new_id)
    version: int = 1
    created_at: datetime
    updated_at: datetime
    created_by: str | None = ref("user")
    fields: Mapping[str, Any] = attrs.field(factory=dict, hash=False)

    def __attrs_post_init__(self) -> None:
        """Every field holds a value of its declared type, or the record is not made (SEC_05)."""
        check_record(self)

    def _repr_html_(self) -> str:
        """A field/value table in notebooks (DATA_01)."""
        from successkit.views.frames import record_html

        return record_html(self)

"""Writes tests/data/release_0_schema_v2.db: a SQLite store as the release before
schema migrations (commit c018af9, schema version 2) left it.

Run it with that release's code, not this one's::

    git worktree add /tmp/sk-c018af9 c018af9
    PYTHONPATH=/tmp/sk-c018af9/src python tests/data/make_release_db.py tests/data/release_0_schema_v2.db

The file is kept as written; tests/test_migrations.py opens it after migrating.
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import datetime, timezone

import successkit as sk
from successkit.demo import build


def main(path: str) -> None:
    kit = sk.open(f"sqlite:///{path}", clock=datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc), entry_points=False)
    made = build(kit)
    kit.measures.create("nps", label="NPS", source={"type": "field", "field": "nps", "map": {"linear": [-100, 100]}})
    kit.measures.create("sentiment", label="CSM sentiment", staleness_days=30)
    kit.scorecards.create("standard", name="Standard health", default=True, measures=["nps", "sentiment"])
    kit.scorecards.set_value(made["acme"], "sentiment", 80, comment="Great QBR")
    kit.scorecards.recompute()
    kit.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
    conn.execute("PRAGMA page_size = 512")  # many small tables: small pages keep the file small
    conn.execute("VACUUM")
    conn.close()


if __name__ == "__main__":
    main(sys.argv[1])

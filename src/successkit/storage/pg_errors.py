"""PostgreSQL's errors as successkit errors: which SQLSTATEs a rerun may cure
(serialization failures, deadlocks), which mean the server closed the
connection, and the translation of every driver error, with its cause kept."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from successkit.errors import ConflictError, StorageError, ValidationError

__all__ = ["RETRY_SQLSTATES", "ConnectionLost", "TransientConflict", "lost", "translate"]

#: SQLSTATEs that mean "the transaction was rolled back because of a concurrent
#: one; running it again may well succeed": serialization failure, deadlock.
RETRY_SQLSTATES = {"40001": "serialization failure", "40P01": "deadlock detected"}


class TransientConflict(ConflictError):
    """PostgreSQL rolled a transaction back because of a concurrent one
    (serialization failure, SQLSTATE 40001, or deadlock, 40P01).

    ``sqlstate`` (also ``value``) names the SQLSTATE and ``attempts`` says how
    many times the store ran the operation: more than 1 when the store retried
    it itself, 1 when it ran inside a caller's transaction, which only the caller
    can rerun (:func:`successkit.retry` does, as for any ConflictError).
    """

    def __init__(self, message: str, *, sqlstate: str, attempts: int = 1) -> None:
        super().__init__(message, rule="STORE_04", value=sqlstate)
        self.sqlstate = sqlstate
        self.attempts = attempts


class ConnectionLost(StorageError):
    """The server closed a pooled connection (restart, idle timeout, terminated backend)."""


def lost(conn: psycopg.Connection[Any], error: BaseException | None) -> bool:
    """Whether ``error`` means the server closed ``conn`` (shut down, terminated the
    backend, or the socket is gone): nothing of the statement ran, another connection may."""
    if not isinstance(error, psycopg.OperationalError):
        return False
    return conn.broken or conn.closed or (error.sqlstate or "").startswith(("57P", "08"))


@contextmanager
def translate() -> Iterator[None]:
    """Turn driver errors into successkit errors, keeping the cause."""
    try:
        yield
    except pg_errors.UniqueViolation as e:
        raise ConflictError(f"storage refused a duplicate row: {e.diag.message_primary}") from e
    except (pg_errors.SerializationFailure, pg_errors.DeadlockDetected) as e:
        state = e.sqlstate or ("40001" if isinstance(e, pg_errors.SerializationFailure) else "40P01")
        detail = e.diag.message_primary or str(e)
        raise TransientConflict(
            f"a concurrent transaction got in the way ({RETRY_SQLSTATES[state]}, SQLSTATE "
            f"{state}: {detail}); run the whole transaction again",
            sqlstate=state,
        ) from e
    except (pg_errors.DataError, pg_errors.CharacterNotInRepertoire, ValueError) as e:
        raise ValidationError(f"PostgreSQL cannot store a value: {e}") from e
    except psycopg.Error as e:
        state = f" (SQLSTATE {e.sqlstate})" if e.sqlstate else ""
        raise StorageError(f"PostgreSQL error{state}: {str(e).strip()}") from e
    except OverflowError as e:
        raise ValidationError(f"PostgreSQL cannot store a value: {e}") from e

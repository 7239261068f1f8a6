"""Reading a PostgreSQL store URL: our own options, the schema name (SEC_01), the conninfo."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs
import psycopg
from psycopg.conninfo import conninfo_to_dict

from successkit.errors import StorageError, ValidationError

__all__ = ["UrlOptions", "check_schema_name", "redacted", "split_url"]


@attrs.frozen
class UrlOptions:
    """What a PostgreSQL URL says, split into the conninfo and our own options."""

    conninfo: str  #: the URL without the options below
    schema: str
    server_options: str  #: the URL's ``options`` (``-c name=value ...``), passed on with ours
    retry_attempts: int | None
    open_timeout: float = 10.0  #: seconds an open waits for its first connection


#: A schema name PostgreSQL keeps exactly as given once quoted: ASCII letters,
#: digits and _, at most 63 bytes (longer names would be cut short), no ``pg_``
#: prefix (reserved for the system).
_SCHEMA_NAME = re.compile(r"[A-Za-z0-9_]{1,63}")
#: System schemas besides the ``pg_`` ones (pg_catalog, pg_toast, pg_temp_N...):
#: a store never creates its tables among the server's own.
_SYSTEM_SCHEMAS = frozenset({"information_schema"})


def check_schema_name(name: str) -> str:
    """Refuse a schema name PostgreSQL would not keep exactly as given (SEC_01),
    before anything is created: two different names never share one schema."""
    if not _SCHEMA_NAME.fullmatch(name) or name.lower().startswith("pg_"):
        raise ValidationError(
            "the schema option is 1-63 ASCII letters, digits and _, not starting with pg_ "
            "(mixed case is kept as given)",
            rule="SEC_01",
            value=name,
        )
    if name.lower() in _SYSTEM_SCHEMAS:
        raise ValidationError("the schema option names a PostgreSQL system schema", rule="SEC_01", value=name)
    return name


def split_url(url: str) -> UrlOptions:
    """The conninfo without our own options, and those options."""
    try:
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError as e:
        raise StorageError(f"not a valid PostgreSQL URL: {e}", value="(unparsable)") from None
    options: dict[str, str] = {}
    for key, value in pairs:
        if key in options and key == "schema":  # which one would be used is not clear: refuse (SEC_01)
            raise ValidationError("the schema option is given twice", rule="SEC_01", value=[options[key], value])
        if key in options:
            raise StorageError("a PostgreSQL URL option is given twice", value=key)
        options[key] = value
    schema = check_schema_name(options.pop("schema", "public"))
    attempts = options.pop("retry_attempts", None)
    if attempts is not None and (not (attempts.isascii() and attempts.isdigit()) or int(attempts) < 1):
        raise StorageError("the retry_attempts option is a whole number >= 1", value=attempts)
    wait = options.pop("open_timeout", "10")
    try:
        open_timeout = float(wait)
    except ValueError:
        open_timeout = -1.0
    if not 0 < open_timeout <= 3600:
        raise StorageError("the open_timeout option is a number of seconds, more than 0 and at most 3600", value=wait)
    server_options = options.pop("options", "")
    scheme = "postgresql" if parts.scheme in ("postgres", "postgresql") else parts.scheme
    conninfo = urlunsplit((scheme, parts.netloc, parts.path, urlencode(options), parts.fragment))
    try:  # a bad option fails here at once, not after the pool's connect timeout
        conninfo_to_dict(conninfo)
    except psycopg.Error as e:
        raise StorageError(f"not a valid PostgreSQL URL: {str(e).strip()}", value=redacted(url)) from None
    return UrlOptions(conninfo, schema, server_options, None if attempts is None else int(attempts), open_timeout)


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

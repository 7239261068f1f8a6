"""The ``successkit`` command: the demo, and the jobs a host runs from its scheduler
(deploying solution bundles, running rules, advancing programs, recomputing scores).

OPS_03: a failure is one line on standard error and an exit status, never a
traceback; the store URL comes from ``--url`` (anywhere on the line) or the
``SUCCESSKIT_URL`` environment variable; a closed pipe (``successkit demo | head``)
ends the command quietly.  Exit statuses:

- 0: done;
- 1: the store cannot be opened: a bad or unknown URL, an unreachable server,
  or a SQLite file that does not exist for a command that only reads;
- 2: a refusal (a successkit error, naming its rule) or bad arguments; ``migrate``
  also when the data stops a step (its problems are listed).

``successkit migrate URL [--dry-run] [--json]`` brings a store's schema to this
release's version in one transaction (OPS_01); other commands refuse a store that
needs it, with exit status 2.

Commands that only read (``bundles list``, ``bundles diff``, ``rules list``, ``programs list``) never create a SQLite
file, and every listing prints JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit

from . import __version__
from .errors import StorageError, SuccessKitError, ValidationError

__all__ = ["DEFAULT_URL", "EXIT_FAILED", "EXIT_OK", "EXIT_REFUSED", "main"]

#: The store a command uses without ``--url`` or ``SUCCESSKIT_URL``.
DEFAULT_URL = "sqlite:///successkit.db"
DEMO_DB = "successkit-demo.db"  # where ``successkit demo`` builds its workspace unless --db says otherwise
EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2
#: Commands that only read: they never create a store.
_READS = {("bundles", "list"), ("bundles", "diff"), ("rules", "list"), ("programs", "list")}


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors as one line and exit status 2 (OPS_03)."""

    def error(self, message: str) -> Any:
        self.exit(EXIT_REFUSED, f"successkit: {message} (see successkit --help)\n")


def _options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """The options every command takes, before or after its name: on the subcommands
    they default to nothing, so a value given earlier on the line is kept."""
    keep: Any = argparse.SUPPRESS
    parser.add_argument(
        "--url",
        default=None if top else keep,
        help=f"storage URL (default: $SUCCESSKIT_URL, else {DEFAULT_URL})",
    )
    parser.add_argument(
        "--connect-timeout",
        type=float,
        metavar="SECONDS",
        default=5.0 if top else keep,
        help="how long to wait for a PostgreSQL server (default 5)",
    )
    parser.add_argument("--json", action="store_true", default=False if top else keep, help="print JSON")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="successkit", description="successkit command-line tools")
    parser.add_argument("--version", action="version", version=f"successkit {__version__}")
    _options(parser, top=True)
    common = _Parser(add_help=False)
    _options(common, top=False)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    demo = sub.add_parser("demo", help="build a demo workspace on SQLite and print it")
    demo.add_argument("--db", default=DEMO_DB, help="SQLite file (rebuilt on every run)")
    demo.add_argument("--chart-width", type=int, default=1200, help="the Gantt chart's width in pixels")
    demo.add_argument("--label-width", type=int, default=280, help="the Gantt chart's names column in pixels")

    bsub = sub.add_parser("bundles", help="list, deploy or compare solution bundles", parents=[common]).add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    bsub.add_parser("list", help="the bundles on offer (shipped and from plugins)", parents=[common])
    deploy = bsub.add_parser("deploy", help="deploy a bundle by name or from a .json/.toml file", parents=[common])
    deploy.add_argument("bundle", help="a bundle name or file path")
    deploy.add_argument(
        "--skip", action="append", default=[], metavar="KIND[:NAME]", help="leave out an asset kind or one asset"
    )
    deploy.add_argument("--dry-run", action="store_true", help="report what would be created; write nothing")
    diff = bsub.add_parser("diff", help="installed assets that differ from a bundle's (VAULT_05)", parents=[common])
    diff.add_argument("bundle", help="a bundle name or file path")

    rsub = sub.add_parser("rules", help="list or run rules", parents=[common]).add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    rsub.add_parser("list", help="the stored rules", parents=[common])
    run = rsub.add_parser("run", help="run one rule, or every active rule", parents=[common])
    run.add_argument("rule", nargs="?", help="a rule name (default: every active rule)")
    run.add_argument("--dry-run", action="store_true", help="report what would happen; write nothing")

    psub = sub.add_parser("programs", help="list or advance programs (MAIL_03)", parents=[common]).add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    psub.add_parser("list", help="the stored programs and their enrolments", parents=[common])
    advance = psub.add_parser("advance", help="do every due program step (for a scheduler)", parents=[common])
    advance.add_argument("--dry-run", action="store_true", help="report what would happen; write and send nothing")
    migrate = sub.add_parser(
        "migrate", help="bring the store's schema to this version (OPS_01), in one transaction", parents=[common]
    )
    migrate.add_argument("store", nargs="?", metavar="URL", help="the store (default: --url, $SUCCESSKIT_URL)")
    migrate.add_argument("--dry-run", action="store_true", help="report the steps and statements; change nothing")
    migrate.set_defaults(action="")

    ssub = sub.add_parser("scores", help="health scores", parents=[common]).add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    recompute = ssub.add_parser("recompute", help="recompute every score (for a scheduler), SCORE_11", parents=[common])
    recompute.add_argument("--target", choices=("company", "relationship"), default="company")

    serve = sub.add_parser(
        "serve", help="run the portal with uvicorn (needs the web extra), PORTAL_01", parents=[common]
    )
    serve.add_argument("store", nargs="?", metavar="URL", help="storage URL (or --url / $SUCCESSKIT_URL)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--user", metavar="ID_OR_EMAIL", help="show the internal pages as this user, by id or email (no login)"
    )
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run a command and give its exit status (see the module docstring)."""
    out = out or sys.stdout
    try:
        args = _parser().parse_args(argv)
        return _run(args, out)
    except SystemExit as e:  # --help, --version and usage errors (already printed)
        return e.code if isinstance(e.code, int) else EXIT_REFUSED
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly, as cat does
        _silence(out)
        return EXIT_FAILED
    except KeyboardInterrupt:
        sys.stderr.write("successkit: interrupted\n")
        return 130


def _run(args: argparse.Namespace, out: TextIO) -> int:
    if args.command == "demo":
        from .demo import main as run_demo

        try:
            run_demo(args.db, out, width=args.chart_width, label_width=args.label_width).close()
        except SuccessKitError as e:
            return _fail(EXIT_FAILED if isinstance(e, StorageError) else EXIT_REFUSED, str(e))
        return EXIT_OK
    if args.command == "serve":
        args.action = ""
    url = getattr(args, "store", None) or args.url or os.environ.get("SUCCESSKIT_URL") or DEFAULT_URL
    if args.command == "migrate" and not _exists(url):
        return _fail(EXIT_FAILED, f"no store at {url}: there is nothing to migrate{_store_hint(url)}")
    if (args.command, args.action) in _READS and not _exists(url):
        if (args.command, args.action) != ("bundles", "list"):
            return _fail(EXIT_FAILED, f"no store at {url}: a read command does not create one{_store_hint(url)}")
        url = "memory://"  # the bundles on offer need no store: none is created for them
    if not args.connect_timeout > 0:
        return _fail(EXIT_REFUSED, f"--connect-timeout takes a number of seconds > 0 (got {args.connect_timeout})")
    from .kit import open as open_kit

    # the pool's own warnings would print each failed attempt: the one-line error says it
    logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())
    if args.command == "migrate":
        return _migrate(_with_timeout(url, args.connect_timeout), args, out)
    try:
        kit = open_kit(_with_timeout(url, args.connect_timeout))
    except SuccessKitError as e:  # a store that needs migrating is a refusal: the store itself is fine
        return _fail(EXIT_REFUSED if getattr(e, "rule", None) == "OPS_01" else EXIT_FAILED, str(e))
    try:
        _COMMANDS[(args.command, args.action)](kit, args, out)
    except SuccessKitError as e:
        return _fail(EXIT_REFUSED, str(e))
    finally:
        kit.close()
    return EXIT_OK


def _store_hint(url: str) -> str:
    """What to try when the default store is missing: right after ``successkit demo`` the store
    is the demo's file, not the default one, and a newcomer's next command lands here."""
    if url != DEFAULT_URL:
        return ""
    if Path(DEMO_DB).exists():
        return f" (successkit demo wrote {DEMO_DB}: pass --url sqlite:///{DEMO_DB})"
    return " (pass --url or set SUCCESSKIT_URL)"


def _migrate(url: str, args: argparse.Namespace, out: TextIO) -> int:
    """``successkit migrate``: the plan, applied unless ``--dry-run`` (OPS_01)."""
    from .kit import migrate
    from .storage.migrations import MigrationPlan

    try:
        plan: MigrationPlan = migrate(url, dry_run=args.dry_run)
    except SuccessKitError as e:
        return _fail(EXIT_FAILED if type(e) is StorageError else EXIT_REFUSED, str(e))
    if args.json:
        out.write(json.dumps(plan.as_dict(), ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    out.write(f"{plan}\n")
    for statement in plan.statements if args.dry_run else ():
        out.write(f"  {statement};\n")
    for problem in plan.problems:
        out.write(f"  cannot apply: {problem}\n")
    return EXIT_OK


def _fail(code: int, message: str) -> int:
    sys.stderr.write(f"successkit: {' '.join(message.split())}\n")
    return code


def _silence(out: TextIO) -> None:
    """Point standard output at nothing, so Python's own flush at exit finds no broken pipe."""
    if out is sys.stdout:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _exists(url: str) -> bool:
    """Whether a store is there to read: a SQLite URL names an existing file (other
    stores are asked by opening them)."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite":
        return True
    path = url[len("sqlite:///") :].split("?", 1)[0] if url.startswith("sqlite:///") else ""
    return path == ":memory:" or (bool(path) and Path(path).is_file())


def _with_timeout(url: str, seconds: float) -> str:
    """A PostgreSQL URL with the connect and open timeouts the command line asks for,
    unless the URL sets them itself."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        return url
    given = {k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    extra = []
    if "connect_timeout" not in given:
        extra.append(f"connect_timeout={max(2, int(seconds))}")  # libpq: whole seconds, at least 2
    if "open_timeout" not in given:
        extra.append(f"open_timeout={seconds:g}")
    if not extra:
        return url
    return url + ("&" if parts.query else "?") + "&".join(extra)


# ------------------------------------------------------------------------ commands
def _print(
    out: TextIO, args: argparse.Namespace, rows: list[dict[str, Any]], line: Callable[..., str], empty: str = ""
) -> None:
    """Rows as JSON or one line each; an empty listing says ``empty`` (JSON stays ``[]``),
    so a listing of nothing does not read as a command that did nothing."""
    if args.json:
        out.write(json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n")
    elif not rows and empty:
        out.write(empty + "\n")
    else:
        for row in rows:
            out.write(line(**row) + "\n")


def _bundles_list(kit: Any, args: argparse.Namespace, out: TextIO) -> None:
    rows = [
        {"name": b.name, "version": b.version, "category": b.category or "-", "title": b.title}
        for b in kit.bundles.available().values()
    ]
    _print(out, args, rows, lambda name, version, category, title: f"{name:<17} {version:<6} {category:<24} {title}")


def _bundles_deploy(kit: Any, args: argparse.Namespace, out: TextIO) -> None:
    done = kit.bundles.deploy(args.bundle, skip=args.skip, dry_run=args.dry_run)
    out.write((json.dumps({"result": str(done)}) if args.json else str(done)) + "\n")


def _bundles_diff(kit: Any, args: argparse.Namespace, out: TextIO) -> None:
    rows = [{"kind": d.kind, "name": d.name, "fields": list(d.fields)} for d in kit.bundles.diff(args.bundle)]
    _print(out, args, rows, lambda kind, name, fields: f"{kind:<16} {name!r}: {', '.join(fields)}")


def _rules_list(kit: Any, args: argparse.Namespace, out: TextIO) -> None:
    rows = [
        {"name": r.name, "target": r.target, "active": r.active, "bundle": r.bundle}
        for r in kit.rules.list(sort=["name"])
    ]

    def line(name: str, target: str, active: bool, bundle: str | None) -> str:
        return f"{name:<36} {target:<13} {'active' if active else 'inactive':<9} {bundle or ''}"

    _print(out, args, rows, line, empty="no rules in this store")


def _rules_run(kit: Any, args: argparse.Namespace, out: TextIO) -> None:
    runs = [kit.rules.run(args.rule, dry_run=args.dry_run)] if args.rule else kit.rules.run_all(dry_run=args.dry_run)
    rows = [
        {"rule": r.rule, "dry_run": r.dry_run, "matched": r.matched, "created": r.created, "result": str(r)}
        for r in runs
    ]
    _print(out, args, rows, lambda result, **_: result)


def _programs_list(kit: Any, args: argparse.Namespace, out: TextIO) -> None:
    counts = kit.programs.enrolment_counts()
    rows = [
        {"name": p.name, "target": p.target, "active": p.active, "steps": len(p.definition["steps"]),
         "enrolments": {state: counts.get(p.id, {}).get(state, 0) for state in ("active", "completed", "exited")},
         "bundle": p.bundle}
        for p in kit.programs.list(sort=["name"])
    ]  # fmt: skip

    def line(name: str, target: str, active: bool, steps: int, enrolments: dict[str, int], **_: Any) -> str:
        state = "active" if active else "inactive"
        counts = ", ".join(f"{n} {s}" for s, n in enrolments.items())
        return f"{name:<36} {target:<8} {state:<9} {steps} steps; enrolments: {counts}"

    _print(out, args, rows, line, empty="no programs in this store")


def _programs_advance(kit: Any, args: argparse.Namespace, out: TextIO) -> None:
    run = kit.programs.advance(dry_run=args.dry_run)
    row = {"dry_run": run.dry_run, "due": run.due, "summary": run.summary(), "result": str(run)}
    out.write((json.dumps(row) if args.json else str(run)) + "\n")


def _scores_recompute(kit: Any, args: argparse.Namespace, out: TextIO) -> None:
    run = kit.scorecards.recompute(args.target)
    row = {"target": run.target, "scored": run.scored, "na": run.na, "unscored": run.unscored,
           "changed": len(run.created), "changed_grade": run.changed_grade, "snapshots": run.snapshots}  # fmt: skip
    out.write((json.dumps(row) if args.json else str(run)) + "\n")


def _serve(kit: Any, args: argparse.Namespace, out: TextIO) -> None:
    """The portal on ``--host``/``--port`` until Ctrl-C (PORTAL_01); share-link tokens are
    taken out of uvicorn's access log (PORTAL_04)."""
    try:
        from .web import app
        from .web.server import run
    except ImportError as e:
        raise ValidationError(f"the portal needs the web extra: pip install 'successkit[web]' ({e})") from None
    if not 0 < args.port < 65536:
        raise ValidationError("--port is a port number, 1-65535", value=args.port)
    who = args.user
    if who and "@" in who:  # an email is easier to type than a record id
        found = kit.users.by_email(who)
        if found is None:
            raise ValidationError(f"--user: no user has the email {who!r}", value=who)
        who = found.id
    portal = app(kit, user=(lambda request: who) if who else None)
    out.write(f"successkit portal on http://{args.host}:{args.port}/ (Ctrl-C stops it)\n")
    if not who:
        out.write("  share links open at /s/<token>; the internal pages need --user ID_OR_EMAIL\n")
    out.flush()
    run(portal, host=args.host, port=args.port)


_COMMANDS: dict[tuple[str, str], Callable[[Any, argparse.Namespace, TextIO], None]] = {
    ("bundles", "list"): _bundles_list,
    ("bundles", "deploy"): _bundles_deploy,
    ("bundles", "diff"): _bundles_diff,
    ("rules", "list"): _rules_list,
    ("rules", "run"): _rules_run,
    ("programs", "list"): _programs_list,
    ("programs", "advance"): _programs_advance,
    ("scores", "recompute"): _scores_recompute,
    ("serve", ""): _serve,
}


if __name__ == "__main__":
    sys.exit(main())

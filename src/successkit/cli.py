"""The ``successkit`` command: the demo, and the jobs a host runs from its scheduler
(deploying solution bundles, running rules)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from . import __version__
from .errors import SuccessKitError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="successkit", description="successkit command-line tools")
    parser.add_argument("--version", action="version", version=f"successkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="build a demo workspace on SQLite and print it")
    demo.add_argument("--db", default="successkit-demo.db", help="SQLite file (rebuilt on every run)")

    bundles = sub.add_parser("bundles", help="list or deploy solution bundles")
    bsub = bundles.add_subparsers(dest="action", required=True)
    blist = bsub.add_parser("list", help="the bundles on offer (shipped and from plugins)")
    deploy = bsub.add_parser("deploy", help="deploy a bundle by name or from a .json/.toml file")
    deploy.add_argument("bundle", help="a bundle name or file path")
    deploy.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="KIND[:NAME]",
        help="leave out an asset kind or one asset (repeatable)",
    )
    deploy.add_argument("--dry-run", action="store_true", help="report what would be created; write nothing")

    rules = sub.add_parser("rules", help="list or run rules")
    rsub = rules.add_subparsers(dest="action", required=True)
    rlist = rsub.add_parser("list", help="the stored rules")
    run = rsub.add_parser("run", help="run one rule, or every active rule")
    run.add_argument("rule", nargs="?", help="a rule name (default: every active rule)")
    run.add_argument("--dry-run", action="store_true", help="report what would happen; write nothing")

    scores = sub.add_parser("scores", help="health scores")
    ssub = scores.add_subparsers(dest="action", required=True)
    recompute = ssub.add_parser("recompute", help="recompute every score (for a scheduler), SCORE_11")
    recompute.add_argument("--target", choices=("company", "relationship"), default="company")

    for p in (blist, deploy, rlist, run, recompute):
        p.add_argument(
            "--url", default="sqlite:///successkit.db", help="storage URL (default: sqlite:///successkit.db)"
        )
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run a command; refusals are printed with their rule and give exit status 2."""
    args = _parser().parse_args(argv)
    out = out or sys.stdout
    if args.command == "demo":
        from .demo import main as run_demo

        run_demo(args.db, out).close()
        return 0
    from .kit import open as open_kit

    kit = open_kit(args.url)
    try:
        if args.command == "bundles":
            if args.action == "list":
                for b in kit.bundles.available().values():
                    out.write(f"{b.name:<16} {b.version:<6} {b.title}\n")
            else:
                out.write(str(kit.bundles.deploy(args.bundle, skip=args.skip, dry_run=args.dry_run)) + "\n")
        elif args.command == "scores":
            out.write(str(kit.scorecards.recompute(args.target)) + "\n")
        elif args.action == "list":
            for r in kit.rules.list(sort=["name"]):
                state = "active" if r.active else "inactive"
                out.write(f"{r.name:<36} {r.target:<13} {state:<9} {r.bundle or ''}\n")
        else:
            runs = (
                [kit.rules.run(args.rule, dry_run=args.dry_run)]
                if args.rule
                else kit.rules.run_all(dry_run=args.dry_run)
            )
            for run in runs:
                out.write(str(run) + "\n")
    except SuccessKitError as e:
        sys.stderr.write(f"successkit: {e}\n")
        return 2
    finally:
        kit.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``successkit`` command."""

from __future__ import annotations

import argparse
import sys

from . import __version__

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="successkit", description="successkit command-line tools")
    parser.add_argument("--version", action="version", version=f"successkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="build a demo workspace on SQLite and print it")
    demo.add_argument("--db", default="successkit-demo.db", help="SQLite file (rebuilt on every run)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import main as run_demo

        run_demo(args.db, sys.stdout).close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

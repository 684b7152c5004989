"""Command line: `python -m reference_app [options]` (see CONTRACT.md, "Process")."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .config import MODES
from .defects import UnknownDefectError, describe_catalog, parse_defects
from .server import ServeOptions, serve


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (environment variables give the defaults)."""
    parser = argparse.ArgumentParser(
        prog="python -m reference_app",
        description="Haven, the embedded reference web app: client and provider portals.",
    )
    parser.add_argument("--mode", choices=MODES, default=os.environ.get("REFAPP_MODE", "test"))
    parser.add_argument(
        "--defects",
        default=os.environ.get("REFAPP_DEFECTS", ""),
        help="comma-separated defect names (see --list-defects)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--client-port", type=int, default=0)
    parser.add_argument("--provider-port", type=int, default=0)
    parser.add_argument(
        "--db",
        default=os.environ.get("REFAPP_DB") or None,
        help="SQLite file (default: a fresh file in a temporary directory)",
    )
    parser.add_argument("--ready-file", default=None, help="write the ready JSON here (0600)")
    parser.add_argument("--list-defects", action="store_true", help="print the defect catalog")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and serve until terminated; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list_defects:
        print(describe_catalog())
        return 0
    if args.mode not in MODES:
        parser.error(f"--mode must be one of {', '.join(MODES)}")
    try:
        defects = parse_defects(args.defects)
    except UnknownDefectError as exc:
        print(f"reference_app: {exc}", file=sys.stderr)
        return 2

    temp_dir: str | None = None
    if args.db:
        db_path = Path(args.db)
    else:
        temp_dir = tempfile.mkdtemp(prefix="haven-refapp-")
        db_path = Path(temp_dir) / "haven.sqlite3"
    options = ServeOptions(
        mode=args.mode,
        defects=defects,
        host=args.host,
        client_port=args.client_port,
        provider_port=args.provider_port,
        db_path=db_path,
        ready_file=Path(args.ready_file) if args.ready_file else None,
        demo_password=os.environ.get("REFAPP_DEMO_PASSWORD") or None,
    )
    try:
        return asyncio.run(serve(options))
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"reference_app: cannot start: {exc}", file=sys.stderr)
        return 1
    finally:
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

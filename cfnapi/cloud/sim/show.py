"""``cfnapi sim show [--json]``: print the sim's inventory so users can find ids to pass as parameters."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from cfnapi.cloud.sim.config import SimConfig
from cfnapi.cloud.sim.inventory import Entry, inventory
from cfnapi.db import Database

DATABASE_URL_ENV = "CFNAPI_DATABASE_URL"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cfnapi sim show", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--project", help="only what this account (project) can see: its own and the seed's")
    parser.add_argument("--database-url", default=os.environ.get(DATABASE_URL_ENV),
                        help=f"SQLAlchemy URL of cfnapi's database (default: ${DATABASE_URL_ENV})")
    return parser


def main(argv: Sequence[str] | None = None, *, db: Database | None = None, config: SimConfig | None = None,
         out: TextIO = sys.stdout) -> int:
    args = build_parser().parse_args(argv)
    if db is None:
        if not args.database_url:
            print(f"cfnapi sim show: no database; pass --database-url or set {DATABASE_URL_ENV}", file=sys.stderr)
            return 2
        db = Database(args.database_url)
    listing = inventory(db, args.project, config)
    if args.json:
        json.dump(listing, out, indent=2, sort_keys=True, default=str)
        out.write("\n")
    else:
        out.write(format_tables(listing))
    return 0


def format_tables(listing: dict[str, list[Entry]]) -> str:
    """One small table per kind: id, name, owner, then the kind's own columns."""
    chunks = []
    for kind, entries in listing.items():
        chunks.append(f"{kind} ({len(entries)})\n")
        if not entries:
            chunks.append("  (none)\n\n")
            continue
        extra = [k for k in entries[0] if k not in ("id", "name", "project_id")]
        header = ["id", "name", "owner", *extra]
        rows = [[str(e["id"]), str(e["name"]), e["project_id"] or "(seed)", *[_cell(e.get(k)) for k in extra]]
                for e in entries]
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
        for line in (header, *rows):
            chunks.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() + "\n")
        chunks.append("\n")
    return "".join(chunks)


def _cell(value: object) -> str:
    if isinstance(value, dict):
        value = ",".join(f"{k}={v}" for k, v in value.items())
    elif isinstance(value, list):
        value = ",".join(str(v) for v in value)
    return "-" if value in (None, "") else str(value)

"""``python -m conformance``: start cfnapi, run every scenario, print the table."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from cfnapi.testing.server import start_server
from conformance import clients, corpus
from conformance.report import Report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance")
    parser.add_argument("--only", choices=("clients", "corpus"), help="run one part only")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--template", action="append", default=[],
                        help="run only corpus templates whose name contains this (repeatable)")
    args = parser.parse_args(argv)

    report = Report()
    with tempfile.TemporaryDirectory(prefix="cfnapi-conformance-") as tmp:
        server = start_server(Path(tmp) / "data")
        try:
            if args.only in (None, "clients"):
                clients.run_all(report, server)
            if args.only in (None, "corpus"):
                corpus.run_all(report, server, only=args.template)
        finally:
            server.stop()
    table = report.render()
    print(table)
    if args.markdown:
        args.markdown.write_text(report.render_markdown())
    _, failed, _ = report.counts()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

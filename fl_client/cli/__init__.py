"""The ``fl-client`` command (also ``python -m fl_client``).

One module per command group (`serve`, `download`), each adding its subparser with a
``run(args) -> exit code`` handler set as its default; `build_parser` lists them.

Options fall back to the reference client's environment variables (`fl_client.Settings`), which
fall back to the constants in `fl_client._core.config`. Credentials come from options or, better
(options show in the process list), from ``FL_CLIENT_USERNAME`` / ``FL_CLIENT_PASSWORD`` /
``FL_CLIENT_TOKEN``; they are never printed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from ..exceptions import ConfigurationError
from ._common import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from .download import add_download, run_download
from .serve import add_serve, load_communication, run_serve

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "build_parser",
    "load_communication",
    "main",
    "run_download",
    "run_serve",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fl-client", description="Client of the FL Demonstrator federated-learning platform."
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("FL_CLIENT_LOG_LEVEL", "INFO"),
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="how much to log (env FL_CLIENT_LOG_LEVEL; default INFO)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_serve(commands)
    add_download(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ConfigurationError as exc:
        print(f"fl-client {args.command}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"fl-client {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED

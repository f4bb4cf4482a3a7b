"""The `kodomo` command: argparse, printing and exit codes; the work is in services (docs/architecture.md).

``main`` is the console entry point (pyproject: ``kodomo = "kodomo_dash.cli:main"``); the commands
are in ``cli/commands.py`` and are imported on call, so ``kodomo --help`` stays fast.
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    from kodomo_dash.cli.commands import main as run

    return run(argv)

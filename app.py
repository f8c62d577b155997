"""Start the newsqa chat app: `python app.py [--data-dir DIR] [--host H] [--port P] [--share]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.settings import Settings
from newsqa.commands import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=serve.HELP)
    parser.add_argument("--data-dir", type=Path, default=None, help="data folder (NEWSQA_DATA_DIR)")
    serve.add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    except ValueError as exc:
        print(f"app.py: bad settings: {exc}", file=sys.stderr)
        return 2
    return serve.run(args, settings)


if __name__ == "__main__":
    raise SystemExit(main())

"""Start the command line: `python -m bot` or `nanobanana-bot`."""

from __future__ import annotations

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""`spplus`: the command line, kept here for its entry point (``spplus = "spplus.cli:entry"``) and its
importers. The commands live in :mod:`spplus.interfaces.cli`, one module per user.
"""

from __future__ import annotations

from .interfaces.cli import entry, explain, main
from .interfaces.cli.common import emit, jsonable

__all__ = ["main", "entry", "explain", "emit", "jsonable"]

if __name__ == "__main__":  # pragma: no cover
    main()

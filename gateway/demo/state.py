"""What the demo keeps between launches: its cursor key, in a data directory of the user's.

Without a configured key the gateway makes a random one per process, so every cursor a client
holds dies with the process. The demo instead keeps one key in `<data dir>/cursor-key` (made on
first launch, readable by the user only): cursors from before a restart keep working.
"""

from __future__ import annotations

import os
from pathlib import Path

from gateway.paging.cursor import random_secret

KEY_FILE = "cursor-key"


def default_data_dir() -> Path:
    """`$XDG_STATE_HOME/runs-gateway/demo`, else `~/.local/state/runs-gateway/demo`."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "runs-gateway" / "demo"


def cursor_key(data_dir: Path) -> str:
    """The demo's cursor key: the one kept in `data_dir`, or a new one kept there from now on."""
    path = data_dir / KEY_FILE
    try:
        kept = path.read_text().strip()
    except FileNotFoundError:
        kept = ""
    if kept:
        return kept
    data_dir.mkdir(parents=True, exist_ok=True)
    key = random_secret()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    return key

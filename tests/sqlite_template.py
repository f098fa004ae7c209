"""A migrated, empty SQLite database to copy: migrating costs about 0.2 s, copying about a millisecond,
and hundreds of tests each start from an empty database. One template per test process (each xdist
worker makes its own), removed when the process exits."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from storage import connect

_template: Path | None = None


async def migrated_template() -> Path:
    """The path of this process's template, migrated on first use."""
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix="leadrelay-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "leadrelay.db"
        db = await connect(f"sqlite+aiosqlite:///{path}")
        await db.close()
        _template = path
    return _template


async def migrated_sqlite(folder: Path) -> str:
    """The URL of the SQLite database in `folder`: a migrated, empty one unless a test's earlier run of
    the stack (a restart) left one there."""
    path = folder / "leadrelay.db"
    if not path.exists():
        shutil.copy(await migrated_template(), path)
    return f"sqlite+aiosqlite:///{path}"

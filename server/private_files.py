"""Files only their owner may read: a copy of the embedded database or the secret key is enough
to read every parent's details or to forge a staff session, so no other local user may open them.

Files are created with their final mode in the same system call (``os.open``), never written and
then narrowed, so there is no moment in which another user could open them. Files left readable
by an older Tupa are narrowed when they are next used, if this process owns them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

OWNER_ONLY_FILE = 0o600
OWNER_ONLY_DIRECTORY = 0o700


def private_directory(path: Path) -> None:
    """Create ``path`` (with any missing parents) so only its owner can list or enter it.

    A directory that already exists keeps the mode its operator gave it: it may be a mount point
    others need to traverse; the files Tupa puts in it are private in any case.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=OWNER_ONLY_DIRECTORY)
    except FileExistsError:
        return
    path.chmod(OWNER_ONLY_DIRECTORY)  # mkdir's mode is trimmed by the umask; never widened


def create_private_file(path: Path, content: bytes = b"") -> bool:
    """Create ``path`` readable by its owner only, holding ``content``; False (and nothing
    written) when it already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as file:
        file.write(content)
    return True


def narrow(path: Path) -> None:
    """Make an existing file of this process's owner readable by that owner only."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return
    if found.st_uid == os.getuid() and stat.S_IMODE(found.st_mode) & ~OWNER_ONLY_FILE:
        path.chmod(OWNER_ONLY_FILE)


def private_sqlite_file(path: Path) -> None:
    """Prepare SQLite's ``path`` before the first connection: the file is created private (SQLite
    gives its -wal and -shm files the mode of the database file), and a database, WAL or
    shared-memory file left readable by others is narrowed."""
    private_directory(path.parent)
    create_private_file(path)  # an empty file is an empty SQLite database
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm", f"{path.name}-journal"):
        narrow(path.with_name(name))

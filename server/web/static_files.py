"""Static files under a name that changes with their content, so browsers may keep them a year.

Tupa has no build step to rename files, so the version goes in the path instead:
``/static/v/<digest>/room/main.js``, where the digest is a hash of the whole static tree taken once
at start. Answers there are ``immutable`` for a year. ES modules import each other by relative
paths (``./view.js``), which resolve under the same prefix, so the modules need no change and a
page never mixes two versions of its scripts.

``/static/<path>`` keeps working for whatever asks by the plain name (``/favicon.ico``, a script
outside the templates): an ETag with ``no-cache``, so the browser asks each time and gets a 304
while the file is unchanged.

A digest that is not this process's is redirected (307, not stored) to the plain name. That is a
page from before a deploy, or, during a rolling deploy, a page from an updated instance whose
request reached one not yet updated. Both still load, and no instance ever stores its files for a
year under a digest it did not compute: answering any digest with the files at hand would do that
to the old instance's files in the second case. A 404 would break the page in both cases. A file
edited after start (development) is redirected too, for the same reason: the start digest does
not describe it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import anyio
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

PREFIX = "/static"
VERSIONED = "v"  # /static/v/<digest>/<path>; no top-level file or folder of the tree may be "v"
DIGEST_LENGTH = 12  # 48 bits tell versions apart; the access log shows it (16 would be masked)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
CACHE_KEY = "tupa.static_cache"


@dataclass(frozen=True)
class StaticTree:
    """The static files as they were at start: their digest, and each file's size and mtime."""

    directory: Path
    digest: str
    files: Mapping[str, tuple[int, int]]  # path relative to the tree, "/"-separated → stat

    @classmethod
    def scan(cls, directory: Path) -> StaticTree:
        """Hash every file's path and content; any change anywhere gives a new digest."""
        root = directory.resolve()
        if (root / VERSIONED).exists():
            raise ValueError(f"{root / VERSIONED} would be hidden by the versioned prefix")
        digest = hashlib.sha256()
        files: dict[str, tuple[int, int]] = {}
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = path.relative_to(root).as_posix()
            data = path.read_bytes()
            stat = path.stat()
            digest.update(f"{name}\0{len(data)}\0".encode() + data)
            files[name] = (stat.st_size, stat.st_mtime_ns)
        return cls(root, digest.hexdigest()[:DIGEST_LENGTH], files)

    def url(self, name: str) -> str:
        """The versioned address of ``name`` ("room/main.js"); a name not in the tree is a
        mistake in a template, refused here rather than left to 404 in a browser."""
        if name not in self.files:
            raise LookupError(f"no static file {name!r} in {self.directory}")
        return f"{PREFIX}/{VERSIONED}/{self.digest}/{quote(name)}"

    def unchanged(self, full_path: str, stat: os.stat_result) -> bool:
        """Whether the file at ``full_path`` is still the one the digest was computed from."""
        name = Path(full_path).relative_to(self.directory).as_posix()
        return self.files.get(name) == (stat.st_size, stat.st_mtime_ns)


class VersionedStaticFiles(StaticFiles):
    """Serves ``tree`` at ``/static``: versioned paths immutable, plain paths revalidated."""

    def __init__(self, tree: StaticTree) -> None:
        super().__init__(directory=tree.directory)
        self.tree = tree

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            parts = _route_path(scope).lstrip("/").split("/", 2)
            if len(parts) == 3 and parts[0] == VERSIONED:
                _, digest, name = parts
                if digest != self.tree.digest:
                    await _plain_name(name)(scope, receive, send)
                    return
                root_path = scope.get("root_path", "") + f"/{VERSIONED}/{digest}"
                scope = {**scope, "root_path": root_path, CACHE_KEY: IMMUTABLE}
        await super().__call__(scope, receive, send)

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        cache = scope.get(CACHE_KEY, REVALIDATE)
        if cache == IMMUTABLE and not self.tree.unchanged(os.fspath(full_path), stat_result):
            return _plain_name(_route_path(scope).lstrip("/"))
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["cache-control"] = cache
        return response

    async def favicon(self, request: Request) -> Response:
        """``/favicon.ico``, which browsers ask for whatever a page links: the tree's icon."""
        full_path, stat = await anyio.to_thread.run_sync(self.lookup_path, "favicon.ico")
        if stat is None:
            return Response(status_code=404)
        return self.file_response(full_path, stat, request.scope)


def _route_path(scope: Scope) -> str:
    """The path below the mount ("/v/<digest>/room/main.js"), as Starlette's mounts leave it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _plain_name(name: str) -> Response:
    """A redirect to the revalidated plain address, itself never stored."""
    return RedirectResponse(
        f"{PREFIX}/{quote(name)}", status_code=307, headers={"cache-control": "no-store"}
    )

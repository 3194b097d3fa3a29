"""Static files: kept a year under a content-versioned address, revalidated under the plain one."""

import re
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from server.web.static_files import IMMUTABLE, StaticTree, VersionedStaticFiles
from web import STATIC_DIR, TEMPLATES_DIR

ASSET = re.compile(r'(?:src|href)="(/static/[^"]+)"')


@pytest.fixture
def tree_dir(tmp_path: Path) -> Path:
    (tmp_path / "room").mkdir()
    (tmp_path / "app.css").write_text("body { color: #1d2327; }\n")
    (tmp_path / "room" / "main.js").write_text('import { view } from "./view.js";\n')
    (tmp_path / "room" / "view.js").write_text("export const view = 1;\n")
    (tmp_path / "favicon.ico").write_bytes(b"\x00\x00\x01\x00icon")
    return tmp_path


def serving(tree: StaticTree) -> httpx.AsyncClient:
    files = VersionedStaticFiles(tree)
    app = Starlette(
        routes=[
            Mount("/static", files),
            Route("/favicon.ico", files.favicon, methods=["GET", "HEAD"]),
        ]
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def static(tree_dir: Path) -> AsyncIterator[tuple[StaticTree, httpx.AsyncClient]]:
    tree = StaticTree.scan(tree_dir)
    async with serving(tree) as client:
        yield tree, client


async def test_a_file_under_the_versioned_address_may_be_kept_a_year(static):
    tree, client = static
    response = await client.get(tree.url("app.css"))
    assert response.status_code == 200
    assert response.text == "body { color: #1d2327; }\n"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_a_plain_address_is_revalidated_and_answers_304_while_unchanged(static):
    _, client = static
    first = await client.get("/static/app.css")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-cache"
    again = await client.get("/static/app.css", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["cache-control"] == "no-cache"
    assert again.content == b""


def test_changing_or_adding_any_file_changes_every_versioned_address(tree_dir):
    before = StaticTree.scan(tree_dir)
    (tree_dir / "room" / "view.js").write_text("export const view = 2;\n")
    changed = StaticTree.scan(tree_dir)
    (tree_dir / "extra.txt").write_text("")
    added = StaticTree.scan(tree_dir)
    assert len({before.digest, changed.digest, added.digest}) == 3
    assert before.url("app.css") != changed.url("app.css") != added.url("app.css")
    assert StaticTree.scan(tree_dir).digest == added.digest  # the same tree, the same digest


def test_relative_module_imports_resolve_under_the_same_versioned_prefix(tree_dir):
    tree = StaticTree.scan(tree_dir)
    assert urljoin(tree.url("room/main.js"), "./view.js") == tree.url("room/view.js")


async def test_an_address_of_another_digest_is_redirected_to_the_plain_one_and_not_stored(static):
    tree, client = static
    other = "0" * len(tree.digest)
    response = await client.get(f"/static/v/{other}/room/main.js")
    assert response.status_code == 307
    assert response.headers["location"] == "/static/room/main.js"
    assert response.headers["cache-control"] == "no-store"
    followed = await client.get(f"/static/v/{other}/room/main.js", follow_redirects=True)
    assert followed.status_code == 200 and followed.headers["cache-control"] == "no-cache"


async def test_a_file_edited_after_start_is_not_served_under_the_start_digest(static, tree_dir):
    tree, client = static
    (tree_dir / "room" / "view.js").write_text("export const view = 'edited';\n")
    response = await client.get(tree.url("room/view.js"))
    assert response.status_code == 307
    assert response.headers["location"] == "/static/room/view.js"


async def test_a_missing_file_is_404_under_either_address(static):
    tree, client = static
    assert (await client.get(f"/static/v/{tree.digest}/nothing.js")).status_code == 404
    assert (await client.get("/static/nothing.js")).status_code == 404


def test_a_template_naming_a_file_not_in_the_tree_is_refused(tree_dir):
    with pytest.raises(LookupError):
        StaticTree.scan(tree_dir).url("room/mian.js")


def test_a_top_level_v_in_the_tree_is_refused_as_it_would_be_shadowed(tree_dir):
    (tree_dir / "v").mkdir()
    with pytest.raises(ValueError):
        StaticTree.scan(tree_dir)


async def test_favicon_ico_is_the_trees_icon_revalidated(static):
    _, client = static
    response = await client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.content == b"\x00\x00\x01\x00icon"
    assert response.headers["cache-control"] == "no-cache"
    again = await client.get("/favicon.ico", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


# --- the application --------------------------------------------------------------------------


def test_no_template_hard_codes_a_static_address():
    hard_coded = {
        str(path.relative_to(TEMPLATES_DIR)): ASSET.findall(path.read_text())
        for path in TEMPLATES_DIR.rglob("*.html")
    }
    assert {name: found for name, found in hard_coded.items() if found} == {}


async def test_pages_link_their_assets_and_icon_under_the_versioned_prefix(client):
    page = await client.get("/")
    assets = ASSET.findall(page.text)
    assert assets
    digest = StaticTree.scan(STATIC_DIR).digest
    assert all(a.startswith(f"/static/v/{digest}/") for a in assets), assets
    assert re.search(rf'<link rel="icon" href="/static/v/{digest}/favicon\.svg"', page.text)
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["cache-control"] == IMMUTABLE
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "img-src 'self'" in policy  # the icon


async def test_favicon_ico_answers_with_an_icon_on_the_application(client):
    response = await client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.content.startswith(b"\x00\x00\x01\x00")  # the ICO header
    assert response.headers["cache-control"] == "no-cache"
    assert "etag" in response.headers


def test_the_icon_holds_16_and_32_pixel_images_in_under_2_kb():
    data = (STATIC_DIR / "favicon.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1)
    sizes = {struct.unpack_from("<BB", data, 6 + 16 * i) for i in range(count)}
    assert {(16, 16), (32, 32)} <= sizes
    assert len(data) < 2048

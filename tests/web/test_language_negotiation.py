"""A first visit is in the browser's language: an explicit choice (``?lang=``, the switch's
cookie) wins, then the Accept-Language header with its q-values, then the organisation's default.
A page whose language came from the header says so to caches with ``Vary: Accept-Language``."""

import time

import pytest

from server.web.language_choice import MAX_HEADER_CHARS, choose, negotiated


def lang_of(page) -> str:
    start = page.text.index('<html lang="') + len('<html lang="')
    return page.text[start : page.text.index('"', start)]


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("sv-FI,sv;q=0.9,en;q=0.8", "sv"),
        ("en-GB,en;q=0.9", "en"),
        ("se", "se"),
        ("sme-FI", "se"),
        ("fi", "fi"),
        ("de-DE,de;q=0.9", "fi"),  # nothing we have: the default
    ],
)
async def test_a_first_visit_is_in_the_browsers_language(client, header, language):
    page = await client.get("/", headers={"Accept-Language": header})

    assert lang_of(page) == language
    assert "tupa_lang" not in page.cookies  # only an explicit choice is remembered
    assert "accept-language" in page.headers["vary"].lower()


async def test_q_values_rank_the_browsers_languages_not_their_order(client):
    page = await client.get("/", headers={"Accept-Language": "de;q=1, en;q=0.3, sv;q=0.7"})
    assert lang_of(page) == "sv"
    refused = await client.get("/", headers={"Accept-Language": "sv;q=0, en;q=0.1"})
    assert lang_of(refused) == "en"  # q=0 means "not this one"


async def test_the_switchs_cookie_beats_the_browsers_language(client):
    client.cookies.set("tupa_lang", "en")

    page = await client.get("/", headers={"Accept-Language": "sv-FI"})

    assert lang_of(page) == "en"
    assert "accept-language" not in page.headers.get("vary", "").lower()


async def test_the_lang_parameter_beats_the_browsers_language_and_is_remembered(client):
    page = await client.get("/?lang=fi", headers={"Accept-Language": "sv"})
    assert lang_of(page) == "fi"
    again = await client.get("/", headers={"Accept-Language": "sv"})
    assert lang_of(again) == "fi"


@pytest.mark.parametrize(
    "header",
    [
        "",
        "*",
        ";;;,,,q=,",
        "sv;q=abc",
        "sv;q=2",
        "sv;q=nan",
        "\u00e4\u00e4;q=1",
        "x" * 10_000,
        "sv-" + "a" * 10_000,
        ",".join(["de"] * 5_000),
    ],
)
async def test_a_junk_header_gives_the_default_language(client, header):
    page = await client.get("/", headers={"Accept-Language": header.encode()})

    assert page.status_code == 200
    assert lang_of(page) == "fi"


async def test_static_files_do_not_vary_by_language(client):
    page = await client.get("/favicon.ico", headers={"Accept-Language": "sv"})
    assert "accept-language" not in page.headers.get("vary", "").lower()


def test_a_long_header_is_cut_before_it_is_parsed_and_costs_little():
    # A language the browser would rank first but which sits past the bound is not looked at.
    late = "de," * (MAX_HEADER_CHARS // 3) + "sv"
    assert negotiated(late) is None
    started = time.perf_counter()
    for _ in range(100):
        negotiated(",".join(["en-GB;q=0.5"] * 2_000))
    assert time.perf_counter() - started < 0.5


def test_the_choice_says_whether_the_header_made_it():
    assert choose(None, None, "sv", "fi").from_header
    assert choose(None, None, None, "fi") == choose(None, None, "", "fi")
    assert not choose(None, "en", "sv", "fi").from_header
    assert choose("se", "en", "sv", "fi").language == "se"
    assert choose(None, "xx", "sv", "fi").language == "sv"  # a cookie we do not know is no choice

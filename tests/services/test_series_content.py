"""A series' content in Swedish and English: planned with the series, checked like the Finnish,
changed afterwards, and used in the e-mails a parent gets in their own language."""

from datetime import timedelta

import pytest

from server.enrolment.service import EnrolmentRequest, enrol
from server.errors import ErrorCode, TupaError
from server.localised import Texts
from server.scheduling import content
from server.scheduling import service as scheduling
from server.scheduling.content import SeriesTranslation
from server.scheduling.reminders import enqueue_due_reminders
from server.scheduling.series import MediaMode
from server.settings import Language
from tests.factories import a_series
from tests.services.mail_support import queued

SWEDISH = SeriesTranslation(
    title="Kamratgrupp för föräldrar",
    description="Vi träffas på nätet.",
    themes=["", "Två"],
)
ENGLISH = SeriesTranslation(title="Peer group for parents", themes=["One"])


async def test_a_series_is_planned_with_its_swedish_and_english_content(database, org, clock):
    async with database.unit_of_work() as db:
        series = await a_series(db, org, clock.now, translations={"sv": SWEDISH, "en": ENGLISH})
        series_id = series.id
    async with database.unit_of_work() as db:
        stored = await scheduling.get_series(db, series_id)
        assert stored.title_texts == Texts("Testiryhmä", SWEDISH.title, ENGLISH.title)
        assert stored.description_texts == Texts("", "Vi träffas på nätet.", None)
        themes = [s.theme_texts for s in stored.sessions]
        # An empty line keeps that session's Finnish theme; the lines keep their places.
        assert themes[:2] == [Texts("Yksi", None, "One"), Texts("Kaksi", "Två", None)]
        assert themes[2:] == [Texts("", None, None)] * 2


async def test_a_series_without_translations_is_finnish_only(database, org, clock):
    async with database.unit_of_work() as db:
        series = await a_series(db, org, clock.now)
        assert series.title_texts == Texts("Testiryhmä")
        assert all(s.theme_sv is None and s.theme_en is None for s in series.sessions)


@pytest.mark.parametrize(
    ("translations", "field"),
    [
        ({"sv": SeriesTranslation(title="ab")}, "title_sv"),
        ({"en": SeriesTranslation(title="x" * 161)}, "title_en"),
        ({"en": SeriesTranslation(description="x" * 4001)}, "description_en"),
        ({"sv": SeriesTranslation(themes=["x" * 201])}, "themes_sv"),
        ({"sv": SeriesTranslation(themes=["x"] * 53)}, "themes_sv"),
        ({"se": SeriesTranslation(title="Kamratgrupp")}, "translations"),
    ],
)
async def test_a_translation_is_bounded_like_the_finnish_text(
    sqlite_database, org, clock, translations, field
):
    async with sqlite_database.unit_of_work() as db:
        with pytest.raises(TupaError) as refused:
            await a_series(db, org, clock.now, translations=translations)
    assert refused.value.code is ErrorCode.INVALID_INPUT
    assert refused.value.params["field"] == field


async def test_the_texts_are_changed_in_every_language_and_a_blank_one_is_removed(
    database, org, clock
):
    async with database.unit_of_work() as db:
        series = await a_series(db, org, clock.now, translations={"sv": SWEDISH})
        series_id = series.id
    async with database.unit_of_work() as db:
        await content.edit_series_texts(
            db,
            series_id,
            Texts("Uusi nimi", "", " New name "),
            Texts("Kuvaus", "Beskrivning", ""),
        )
    async with database.unit_of_work() as db:
        stored = await scheduling.get_series(db, series_id)
        assert stored.title_texts == Texts("Uusi nimi", None, "New name")
        assert stored.description_texts == Texts("Kuvaus", "Beskrivning", None)


async def test_a_refused_change_of_texts_changes_nothing(sqlite_database, org, clock):
    async with sqlite_database.unit_of_work() as db:
        series = await a_series(db, org, clock.now)
        with pytest.raises(TupaError) as refused:
            await content.edit_series_texts(
                db, series.id, Texts("Uusi nimi", "ab"), Texts("Kuvaus")
            )
        assert refused.value.params["field"] == "title_sv"
        assert (series.title, series.title_sv, series.description) == ("Testiryhmä", None, "")


async def test_a_session_theme_is_changed_in_every_language(database, org, clock):
    async with database.unit_of_work() as db:
        series = await a_series(db, org, clock.now)
        session = series.sessions[0]
        await scheduling.edit_session(
            db, series.id, session.id, Texts(" Alku ", "Början", ""), MediaMode.CHAT
        )
        assert session.theme_texts == Texts("Alku", "Början", None)
        with pytest.raises(TupaError) as refused:
            await scheduling.edit_session(
                db, series.id, session.id, Texts("Alku", en="x" * 201), MediaMode.CHAT
            )
        assert refused.value.params["field"] == "theme_en"


async def test_a_parent_is_mailed_the_series_and_theme_in_the_language_they_enrolled_in(
    sqlite_database, org, clock
):
    async with sqlite_database.unit_of_work() as db:
        series = await a_series(db, org, clock.now, translations={"sv": SWEDISH})
        parents: list[tuple[str, Language]] = [("lumi", "sv"), ("sade", "en")]
        for pseudonym, language in parents:
            request = EnrolmentRequest(pseudonym, f"{pseudonym}@example.org", {}, language)
            await enrol(db, org, series.id, request, clock.now)
        second = series.sessions[1]  # its Swedish theme is given, its English one is not
        await enqueue_due_reminders(db, org, [60], second.starts_at - timedelta(minutes=30))
        mails = {(m.recipient, m.template): m for m in await queued(db, org)}

    assert "Kamratgrupp för föräldrar" in mails[("lumi@example.org", "notice.enrolled")].subject
    assert "Testiryhmä" in mails[("sade@example.org", "notice.enrolled")].subject
    swedish, english = (
        mails[("lumi@example.org", "reminder")],
        mails[("sade@example.org", "reminder")],
    )
    assert "Kamratgrupp för föräldrar" in swedish.body and "Två" in swedish.body
    assert "Testiryhmä" in english.body and "Kaksi" in english.body

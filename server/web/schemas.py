"""Wire models of the JSON API. Bounds here are the first line; the domain checks again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from server.enrolment.questions import Question
from server.enrolment.rules import Occupancy
from server.scheduling.service import SeriesListing
from server.storage.tables import SeriesRow, SessionRow

ShortText = Annotated[str, StringConstraints(max_length=400)]


class SessionOut(BaseModel):
    id: int
    theme: str
    # Swedish and English where the organisation gave them (null: show the Finnish one).
    theme_sv: str | None
    theme_en: str | None
    starts_at: datetime
    duration_minutes: int
    media_mode: str
    status: str

    @classmethod
    def of(cls, s: SessionRow) -> SessionOut:
        return cls(
            id=s.id,
            theme=s.theme,
            theme_sv=s.theme_texts.given("sv"),
            theme_en=s.theme_texts.given("en"),
            starts_at=s.starts_at,
            duration_minutes=s.duration_minutes,
            media_mode=s.media_mode,
            status=s.status,
        )


class QuestionOut(BaseModel):
    key: str
    label: str
    options: list[str]
    required: bool


class SeriesOut(BaseModel):
    id: int
    title: str
    program: str
    description: str
    # Swedish and English where the organisation gave them (null: show the Finnish one).
    title_sv: str | None
    title_en: str | None
    program_sv: str | None
    program_en: str | None
    description_sv: str | None
    description_en: str | None
    life_situation: str
    status: str
    capacity: int
    min_size: int
    enrolled: int
    seats_left: int
    waitlisted: int
    enrolment_deadline: datetime
    sessions: list[SessionOut]
    questions: list[QuestionOut]

    @classmethod
    def of(cls, series: SeriesRow, occupancy: Occupancy) -> SeriesOut:
        return cls(
            id=series.id,
            title=series.title,
            program=series.program.name,
            description=series.description,
            title_sv=series.title_texts.given("sv"),
            title_en=series.title_texts.given("en"),
            program_sv=series.program.name_texts.given("sv"),
            program_en=series.program.name_texts.given("en"),
            description_sv=series.description_texts.given("sv"),
            description_en=series.description_texts.given("en"),
            life_situation=series.life_situation,
            status=series.status,
            capacity=occupancy.capacity,
            min_size=occupancy.min_size,
            enrolled=occupancy.enrolled,
            seats_left=occupancy.seats_left,
            waitlisted=occupancy.waitlisted,
            enrolment_deadline=series.enrolment_deadline,
            sessions=[SessionOut.of(s) for s in series.sessions],
            questions=[QuestionOut(**Question.from_json(q).to_json()) for q in series.questions],
        )

    @classmethod
    def of_listing(cls, listing: SeriesListing) -> SeriesOut:
        return cls.of(listing.series, listing.occupancy)


class EnrolmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pseudonym: Annotated[str, StringConstraints(max_length=200)]
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    answers: Annotated[
        dict[Annotated[str, StringConstraints(max_length=10)], ShortText], Field(max_length=10)
    ] = {}
    language: Annotated[str, StringConstraints(pattern="^(fi|sv|en|se)$")] = "fi"


class EnrolmentOut(BaseModel):
    status: str
    waitlist_position: int | None
    personal_link: str

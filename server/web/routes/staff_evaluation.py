"""Staff pages for evaluation: attendance and its corrections, questionnaires, reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from server.errors import ErrorCode, TupaError
from server.evaluation import answers, attendance_sheet, service
from server.evaluation.export import report_csv, report_pdf
from server.evaluation.individual import individual_attendance
from server.evaluation.questionnaires import (
    MAX_QUESTION_TEXT,
    MAX_QUESTIONS,
    Question,
    QuestionKind,
    QuestionnaireKind,
)
from server.evaluation.report import Report
from server.evaluation.report_program import program_report
from server.evaluation.report_series import series_report
from server.organisation import Organisation
from server.permissions import may_export_reports, may_read_free_text
from server.scheduling import service as scheduling
from server.web.deps import (
    Coordinator,
    Csrf,
    Db,
    Id,
    Now,
    Org,
    ReportExporter,
    Rules,
    StaffMember,
    T,
)
from server.web.forms import FormReader
from server.web.series_access import series_run_by
from server.web.series_redirect import back_to_series
from server.web.templating import render

router = APIRouter()


@router.get("/staff/series/{series_id}/attendance")
async def attendance_page(
    request: Request, series_id: Id, staff: StaffMember, db: Db, rules: Rules
) -> Response:
    series = await series_run_by(db, series_id, staff)
    sheet = await attendance_sheet.attendance_sheet(db, series_id, rules)
    return render(
        request,
        "staff/attendance.html",
        {
            "series": series,
            "sheet": sheet,
            "individual": await individual_attendance(db, series_id, rules),
            "corrections": await attendance_sheet.attendance_corrections(db, series_id),
            "share_percent": int(rules.attendance_share * 100),
            "done": request.query_params.get("done", ""),
            "max_reason": attendance_sheet.MAX_REASON,
        },
    )


@router.post(
    "/staff/series/{series_id}/attendance/{session_id}/{enrolment_id}", dependencies=[Csrf]
)
async def correct_attendance(
    request: Request,
    series_id: Id,
    session_id: Id,
    enrolment_id: Id,
    staff: StaffMember,
    db: Db,
    now: Now,
) -> Response:
    await series_run_by(db, series_id, staff)
    form = FormReader(await request.form())
    attended = form.raw("attended") == "yes"
    if form.raw("attended") not in ("yes", "no"):
        form.errors.add("attended")
    reason = form.text("reason", attendance_sheet.MAX_REASON, min_len=1)
    form.check()
    await attendance_sheet.correct_attendance(
        db, series_id, session_id, enrolment_id, attended, reason, staff.id, now
    )
    return back_to_series(series_id, "corrected", "/attendance")


# --- questionnaires ---------------------------------------------------------------------------


@router.get("/staff/programs")
async def programs_page(request: Request, _: Coordinator, db: Db) -> Response:
    programs = await scheduling.list_programs(db)
    defined: dict[tuple[int, str], bool] = {}
    for program in programs:
        for kind in QuestionnaireKind:
            found = await answers.program_questionnaire(db, program.id, kind)
            defined[(program.id, kind.value)] = found is not None
    return render(
        request,
        "staff/programs.html",
        {"programs": programs, "defined": defined, "kinds": list(QuestionnaireKind)},
    )


def _slots(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Form rows: the questions there are, then a few empty rows (up to the maximum)."""
    rows = list(questions)
    wanted = min(MAX_QUESTIONS, len(rows) + 5)
    while len(rows) < wanted:
        rows.append({"key": "", "text": "", "kind": QuestionKind.SCALE.value})
    return rows


async def _questionnaire_page(
    request: Request,
    db: Db,
    program_id: int,
    kind: QuestionnaireKind,
    rows: list[dict[str, Any]] | None = None,
    problem: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    program = next((p for p in await scheduling.list_programs(db) if p.id == program_id), None)
    if program is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    if rows is None:
        found = await answers.program_questionnaire(db, program_id, kind)
        rows = (
            [{"key": q.key, "text": q.text, "kind": q.kind.value} for q in found[1].questions]
            if found
            else []
        )
    return render(
        request,
        "staff/questionnaire_edit.html",
        {
            "program": program,
            "kind": kind.value,
            "rows": _slots(rows),
            "problem": problem,
            "max_text": MAX_QUESTION_TEXT,
            "done": request.query_params.get("done", ""),
        },
        status_code=status_code,
    )


def _kind(value: str) -> QuestionnaireKind:
    try:
        return QuestionnaireKind(value)
    except ValueError:
        raise TupaError(ErrorCode.NOT_FOUND) from None


@router.get("/staff/programs/{program_id}/questionnaires/{kind}")
async def questionnaire_page(
    request: Request, program_id: Id, kind: str, _: Coordinator, db: Db
) -> Response:
    return await _questionnaire_page(request, db, program_id, _kind(kind))


@router.post("/staff/programs/{program_id}/questionnaires/{kind}", dependencies=[Csrf])
async def save_questionnaire(
    request: Request, program_id: Id, kind: str, _: Coordinator, db: Db, now: Now
) -> Response:
    which = _kind(kind)
    form = await request.form()
    rows: list[dict[str, Any]] = []
    for slot in range(1, MAX_QUESTIONS + 1):
        text = form.get(f"text_{slot}")
        text = " ".join(text.split())[: MAX_QUESTION_TEXT + 1] if isinstance(text, str) else ""
        key = form.get(f"key_{slot}")
        kind_value = form.get(f"kind_{slot}")
        if not text:
            continue  # an emptied row removes the question (refused once answers exist)
        rows.append(
            {
                "key": key[:40] if isinstance(key, str) else "",
                "text": text,
                "kind": kind_value if kind_value in ("scale", "text") else "scale",
            }
        )
    found = await answers.program_questionnaire(db, program_id, which)
    scales = {q.key: (q.scale_min, q.scale_max) for q in found[1].questions} if found else {}
    taken = {row["key"] for row in rows if row["key"]}
    number = 0
    questions: list[Question] = []
    for row in rows:
        if not row["key"]:
            number += 1
            while f"q{number}" in taken or f"q{number}" in scales:
                number += 1
            row["key"] = f"q{number}"
            taken.add(row["key"])
        low, high = scales.get(row["key"], (1, 5))
        questions.append(Question(row["key"], row["text"], QuestionKind(row["kind"]), low, high))
    try:
        await answers.save_questionnaire(db, program_id, which, questions, now)
    except TupaError as error:
        if error.code not in (ErrorCode.INVALID_INPUT, ErrorCode.QUESTIONNAIRE_LOCKED):
            raise
        problem = (str(error.params.get("field", "")), str(error.params.get("problem", "")))
        if error.code is ErrorCode.QUESTIONNAIRE_LOCKED:
            problem = (problem[0], "locked")
        return await _questionnaire_page(request, db, program_id, which, rows, problem, 422)
    return RedirectResponse(
        f"/staff/programs/{program_id}/questionnaires/{which.value}?done=saved", status_code=303
    )


# --- reports ----------------------------------------------------------------------------------


def _report_page(request: Request, report: Report, back: str, exports: str | None) -> Response:
    return render(
        request, "staff/report.html", {"report": report, "back": back, "exports": exports}
    )


def _download(report: Report, kind: str, name: str, org: Organisation) -> Response:
    """The report as a CSV (UTF-8 with a BOM, so spreadsheet programs read ä and ö) or a PDF."""
    if kind == "csv":
        return Response(
            "\ufeff" + report_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return Response(
        report_pdf(report, org.name),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )


def _export_kind(value: str) -> str:
    if value not in ("csv", "pdf"):
        raise TupaError(ErrorCode.NOT_FOUND)
    return value


@router.get("/staff/series/{series_id}/report")
async def series_report_page(
    request: Request, series_id: Id, staff: StaffMember, db: Db, rules: Rules, t: T, now: Now
) -> Response:
    await series_run_by(db, series_id, staff)
    evaluated = await service.series_evaluation(db, series_id, rules)
    written = may_read_free_text(staff.role)
    report = series_report(evaluated, t, written_answers=written, made_at=now)
    exports = f"/staff/series/{series_id}/report" if may_export_reports(staff.role) else None
    return _report_page(request, report, f"/staff/series/{series_id}", exports)


@router.get("/staff/series/{series_id}/report.{kind}")
async def series_report_download(
    series_id: Id, kind: str, _: ReportExporter, db: Db, rules: Rules, t: T, org: Org, now: Now
) -> Response:
    evaluated = await service.series_evaluation(db, series_id, rules)
    name = f"tupa-report-series-{series_id}"
    return _download(series_report(evaluated, t, made_at=now), _export_kind(kind), name, org)


@router.get("/staff/programs/{program_id}/report")
async def program_report_page(
    request: Request, program_id: Id, _: Coordinator, db: Db, rules: Rules, t: T, now: Now
) -> Response:
    evaluated = await service.program_evaluation(db, program_id, rules)
    report = program_report(evaluated, t, made_at=now)
    exports = f"/staff/programs/{program_id}/report"
    return _report_page(request, report, "/staff/programs", exports)


@router.get("/staff/programs/{program_id}/report.{kind}")
async def program_report_download(
    program_id: Id, kind: str, _: ReportExporter, db: Db, rules: Rules, t: T, org: Org, now: Now
) -> Response:
    evaluated = await service.program_evaluation(db, program_id, rules)
    name = f"tupa-report-program-{program_id}"
    return _download(program_report(evaluated, t, made_at=now), _export_kind(kind), name, org)

"""The one place where error codes become HTTP responses: JSON under /api, a page elsewhere."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.errors import ErrorCode, TupaError
from server.i18n import Translator
from server.web.messages import error_heading, error_message, field_message
from server.web.templating import render

log = logging.getLogger(__name__)

HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID_INPUT: 422,
    ErrorCode.REQUEST_TOO_LARGE: 413,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CSRF_FAILED: 403,
    ErrorCode.LOGIN_REQUIRED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.LOGIN_FAILED: 401,
    ErrorCode.TOO_MANY_ATTEMPTS: 429,
    ErrorCode.TOTP_REQUIRED: 401,
    ErrorCode.TOTP_INVALID: 401,
    ErrorCode.SERIES_NOT_OPEN: 409,
    ErrorCode.ENROLMENT_CLOSED: 409,
    ErrorCode.ALREADY_WITHDRAWN: 409,
    ErrorCode.LINK_REVOKED: 410,
    ErrorCode.SESSION_CANCELLED: 409,
    ErrorCode.SESSION_IN_PAST: 422,
    ErrorCode.SERIES_CANCELLED: 409,
    ErrorCode.EMAIL_TAKEN: 409,
    ErrorCode.PSEUDONYM_TAKEN: 409,
    ErrorCode.ALREADY_ANSWERED: 409,
    ErrorCode.QUESTIONNAIRE_LOCKED: 409,
    ErrorCode.NOT_YET_OPEN: 409,
    ErrorCode.LAST_COORDINATOR: 409,
    ErrorCode.LINK_NEEDED: 401,
    ErrorCode.LINK_IN_USE: 409,
    ErrorCode.PASSWORD_TOO_COMMON: 422,
    ErrorCode.PASSWORDS_DIFFER: 422,
    ErrorCode.RESET_LINK_INVALID: 410,
    ErrorCode.TOO_MANY_SENDS: 429,
    ErrorCode.LIVE_NOT_RUNNING: 409,
    ErrorCode.LIVE_FULL: 409,
    ErrorCode.LIVE_REFUSED: 403,
    ErrorCode.LOGIN_NAME_TAKEN: 409,
    ErrorCode.PEER_INVITATION_NOT_ALLOWED: 409,
    ErrorCode.PEER_INVITATION_CLOSED: 410,
    ErrorCode.TIME_TAKEN: 409,
    ErrorCode.BOOKING_LIMIT: 409,
    ErrorCode.PLACES_CHANGED: 409,
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, error: TupaError) -> Response:
    """The response for ``error``: a JSON body with a stable code, or a translated page."""
    t: Translator = request.state.translator
    status = HTTP_STATUS[error.code]
    if _is_api(request):
        body: dict[str, object] = {
            "code": error.code.value,
            "message": error_message(t, error.code, error.params),
        }
        if "field" in error.params:
            body["field"] = error.params["field"]
            body["message"] = field_message(t, str(error.params["field"]))
        return JSONResponse(body, status_code=status)
    if error.code is ErrorCode.LOGIN_REQUIRED:
        return RedirectResponse(f"/staff/login?next={quote(request.url.path)}", status_code=303)
    message = error_message(t, error.code, error.params)
    if "field" in error.params:
        message = field_message(t, str(error.params["field"]))
    heading = error_heading(t, error.code)
    context = {"message": message, "code": error.code.value, "heading": heading}
    return render(request, "error.html", context, status)


def install_error_handlers(app: FastAPI) -> None:
    async def on_tupa_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TupaError)
        return error_response(request, exc)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        fields = [".".join(str(p) for p in e["loc"][1:]) for e in exc.errors()]
        field = fields[0] if fields else "body"
        if _is_api(request):
            t: Translator = request.state.translator
            return JSONResponse(
                {
                    "code": ErrorCode.INVALID_INPUT.value,
                    "message": error_message(t, ErrorCode.INVALID_INPUT),
                    "fields": fields,
                },
                status_code=422,
            )
        return error_response(request, TupaError(ErrorCode.INVALID_INPUT, field=field))

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return error_response(request, TupaError(ErrorCode.NOT_FOUND))
        if _is_api(request):
            return JSONResponse({"code": "http_error", "message": str(exc.detail)}, exc.status_code)
        return render(
            request,
            "error.html",
            {"message": str(exc.detail), "code": "http_error"},
            exc.status_code,
        )

    app.add_exception_handler(TupaError, on_tupa_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)

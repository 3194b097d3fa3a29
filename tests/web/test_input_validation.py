"""Every input is bounded: bad input gets a stable code or a translated message, never a 500."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import post_form
from tests.factories import seed_series


async def enrol_json(client, series_id, body, **kwargs):
    return await client.post(f"/api/v1/series/{series_id}/enrolments", json=body, **kwargs)


async def test_api_enrolment_returns_a_personal_link(client, org, clock):
    series_id = await seed_series(client.app.state.test_database, org, clock.now)
    response = await enrol_json(
        client, series_id, {"pseudonym": "Kuura", "answers": {"q1": "0–2 v"}}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "enrolled" and body["personal_link"].startswith(
        "http://testserver/me/"
    )


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        ({"pseudonym": "x"}, "invalid_input", 422),
        ({"pseudonym": "y" * 500}, "invalid_input", 422),
        ({"pseudonym": "Kuura", "email": "nope"}, "invalid_input", 422),
        ({"pseudonym": "Kuura", "answers": {"q1": "9–99 v"}}, "invalid_input", 422),
        (
            {"pseudonym": "Kuura", "answers": {f"k{i}": "v" for i in range(11)}},
            "invalid_input",
            422,
        ),
        ({"pseudonym": "Kuura", "role": "coordinator"}, "invalid_input", 422),
        ({"pseudonym": "Kuura", "language": "de"}, "invalid_input", 422),
        ({"pseudonym": ["Kuura"]}, "invalid_input", 422),
        ({}, "invalid_input", 422),
    ],
)
async def test_invalid_enrolment_json_gets_a_stable_error_code(
    client, org, clock, body, code, status
):
    series_id = await seed_series(client.app.state.test_database, org, clock.now)
    response = await enrol_json(client, series_id, body)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"]


async def test_malformed_json_is_invalid_input(client, org, clock):
    series_id = await seed_series(client.app.state.test_database, org, clock.now)
    response = await client.post(
        f"/api/v1/series/{series_id}/enrolments",
        content=b'{"pseudonym": ',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"


async def test_oversized_body_is_refused_before_it_is_read(client, org, clock):
    series_id = await seed_series(client.app.state.test_database, org, clock.now)
    body = json.dumps({"pseudonym": "Kuura", "email": "a" * 200_000})
    response = await client.post(
        f"/api/v1/series/{series_id}/enrolments",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


async def test_unknown_series_and_absurd_ids_are_not_found_or_invalid(client):
    assert (await client.get("/api/v1/series/999")).json()["code"] == "not_found"
    absurd = await client.get("/api/v1/series/99999999999999999999")
    assert absurd.status_code == 422 and absurd.json()["code"] == "invalid_input"
    assert (await client.get("/series/0")).status_code == 422
    assert (await client.get("/api/v1/series?situation=nonsense")).status_code == 422


async def test_second_enrolment_with_the_same_pseudonym_is_a_conflict(client, org, clock):
    series_id = await seed_series(client.app.state.test_database, org, clock.now)
    await enrol_json(client, series_id, {"pseudonym": "Kuura"})
    again = await enrol_json(client, series_id, {"pseudonym": "KUURA"})
    assert again.status_code == 409 and again.json()["code"] == "pseudonym_taken"


async def test_invalid_enrolment_form_is_shown_again_with_a_translated_message(client, org, clock):
    series_id = await seed_series(client.app.state.test_database, org, clock.now)
    response = await post_form(
        client,
        f"/series/{series_id}",
        f"/series/{series_id}/enrol",
        {"pseudonym": "K", "email": "kuura@", "q1": "smuggled"},
    )
    assert response.status_code == 422
    assert 'id="pseudonym-error"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert "Use 2–40 characters" not in response.text  # shown in Finnish, not the message id


async def test_enrolment_form_after_the_deadline_says_so(client, org, clock):
    series_id = await seed_series(client.app.state.test_database, org, clock.now)
    page = await client.get(f"/series/{series_id}")
    clock.advance(days=6)
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = await client.post(
        f"/series/{series_id}/enrol", data={"csrf_token": token, "pseudonym": "Myöhässä"}
    )
    assert response.status_code == 409
    assert 'data-code="enrolment_closed"' in response.text


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=60),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
        ),
        max_leaves=12,
    )
    | st.fixed_dictionaries(
        {"pseudonym": st.text(max_size=80)},
        optional={
            "email": st.text(max_size=60) | st.none(),
            "answers": st.dictionaries(st.text(max_size=12), st.text(max_size=500), max_size=12),
            "language": st.text(max_size=4),
        },
    )
)
async def test_no_enrolment_payload_crashes_the_server(client, org, clock, payload):
    database = client.app.state.test_database
    if not hasattr(client, "series_id"):
        client.series_id = await seed_series(database, org, clock.now, capacity=200)
    response = await enrol_json(client, client.series_id, payload)
    assert response.status_code in {201, 409, 422}, response.text
    assert "code" in response.json() or response.status_code == 201

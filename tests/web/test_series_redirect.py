"""The way back to a series' staff page (server/web/series_redirect.py): one spelling of the
address every staff action on a series answers with, and of the notice it names."""

from server.web.series_redirect import back_to_series


def test_an_action_goes_back_to_the_series_page_naming_what_was_done():
    response = back_to_series(7, "moved")
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/series/7?done=moved"


def test_an_action_of_a_series_subpage_goes_back_to_that_page():
    assert back_to_series(7, "banned", "/bans").headers["location"] == (
        "/staff/series/7/bans?done=banned"
    )
    assert back_to_series(7, "corrected", "/attendance").headers["location"] == (
        "/staff/series/7/attendance?done=corrected"
    )


def test_the_anchor_follows_the_notice_so_the_page_opens_at_its_section():
    response = back_to_series(7, "peer_invited", anchor="peer-volunteers")
    assert response.headers["location"] == "/staff/series/7?done=peer_invited#peer-volunteers"

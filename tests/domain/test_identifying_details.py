"""What the room asks about before a text is posted (server.rooms.identifying)."""

from pathlib import Path

import pytest

from server.rooms.identifying import Kind, findings, kinds

CORPUS = Path(__file__).with_name("identifying_corpus.txt")


def _corpus() -> list[tuple[list[Kind], str]]:
    lines = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        expected, text = line.split("\t", 1)
        lines.append(([] if expected == "-" else [Kind(k) for k in expected.split(",")], text))
    return lines


CORPUS_LINES = _corpus()


@pytest.mark.parametrize(("expected", "text"), CORPUS_LINES, ids=[t for _, t in CORPUS_LINES])
def test_each_corpus_line_is_asked_about_exactly_as_marked(expected, text):
    assert sorted(kinds(text)) == sorted(expected)


def test_no_everyday_line_of_the_corpus_raises_a_false_alarm_and_none_is_missed():
    innocent = [text for expected, text in CORPUS_LINES if not expected]
    identifying = [text for expected, text in CORPUS_LINES if expected]
    false_alarms = [text for text in innocent if kinds(text)]
    missed = [text for text in identifying if not kinds(text)]
    print(
        f"false alarms {len(false_alarms)}/{len(innocent)}, missed {len(missed)}/{len(identifying)}"
    )
    assert len(innocent) >= 30 and len(identifying) >= 25
    assert false_alarms == [] and missed == []


def test_a_finding_spans_the_details_themselves():
    text = "Soita 040 123 4567 tai maija@example.fi"
    spans = {f.kind: text[f.start : f.end] for f in findings(text)}
    assert spans == {Kind.PHONE: "040 123 4567", Kind.EMAIL: "maija@example.fi"}


def test_a_personal_identity_code_with_a_wrong_check_character_is_not_one():
    assert kinds("Tunnus 131052-308U") == []
    assert kinds("Tunnus 131052-308T") == [Kind.PERSONAL_ID]


def test_every_century_sign_of_2023_is_read():
    check = "0123456789ABCDEFHJKLMNPRSTUVWXY"
    for sign in "YXWVU-" + "BCDEFA":
        code = f"010203{sign}123" + check[int("010203123") % 31]
        assert kinds(f"koodi {code}") == [Kind.PERSONAL_ID], code


def test_a_personal_identity_code_is_not_also_taken_for_a_phone_number():
    assert kinds("150320A4581") == [Kind.PERSONAL_ID]


def test_a_help_line_a_parent_passes_on_is_not_theirs_to_hide():
    assert kinds("Nollalinja 080 005 005 ja Lasten ja nuorten puhelin 116 111") == []


def test_an_iban_with_a_wrong_checksum_is_not_asked_about():
    assert kinds("FI21 1234 5600 0007 86") == []


def test_the_longest_valid_account_is_found_when_a_word_follows_it_directly():
    text = "FI2112345600000785 kiitos"
    (finding,) = findings(text)
    assert text[finding.start : finding.end] == "FI2112345600000785"


def test_a_long_message_is_checked_quickly():
    import time

    text = ("Tänään oli raskas päivä, mutta kello 18.30 pääsin lepäämään 2 tunniksi. " * 30)[:2000]
    started = time.perf_counter()
    for _ in range(20):
        kinds(text)
    per_message = (time.perf_counter() - started) / 20
    assert per_message < 0.02, per_message


def test_a_message_without_digits_is_only_looked_at_for_an_email_address(monkeypatch):
    """Every rule but the e-mail one needs a digit; most chat lines have none, and the patterns
    cost tens of microseconds a line (bench/chat_fanout.py: a fifth of a core at 2,000 lines/s)."""
    import server.rooms.identifying as identifying

    def never(text: str) -> list[object]:
        raise AssertionError("a rule that needs a digit was run on a text without one")

    for rule in (
        "_phones",
        "_personal_ids",
        "_business_ids",
        "_bank_accounts",
        "_street_addresses",
    ):
        monkeypatch.setattr(identifying, rule, never)
    assert kinds("Hei kaikki, olen Mannerheimintiellä tänään, soitelkaa!") == []
    assert kinds("kirjoita minulle: aino.virtanen@example.org") == [Kind.EMAIL]
    assert kinds("aino (at) esimerkki.fi") == [Kind.EMAIL]

"""Group content in the reader's language where the organisation gave it, else in Finnish."""

from server.localised import Localised, Texts, localised

TITLE = Texts("Vertaisryhmä", sv="Kamratgrupp")


def test_a_reader_gets_their_language_where_it_was_given():
    assert localised(TITLE, "sv") == Localised("Kamratgrupp", "sv", fallback=False)


def test_a_reader_gets_the_finnish_text_marked_as_a_fallback_where_their_language_is_missing():
    assert localised(TITLE, "en") == Localised("Vertaisryhmä", "fi", fallback=True)


def test_a_finnish_reader_gets_the_original_and_it_is_no_fallback():
    assert localised(TITLE, "fi") == Localised("Vertaisryhmä", "fi", fallback=False)


def test_a_blank_translation_counts_as_not_given():
    assert localised(Texts("Teema", sv="  ", en=""), "sv").text == "Teema"
    assert Texts("Teema", sv="  ", en="Theme").translations() == [("en", "Theme")]


def test_the_choice_prints_as_its_text_and_an_empty_one_is_false():
    assert str(localised(TITLE, "sv")) == "Kamratgrupp"
    assert not localised(Texts(""), "en")

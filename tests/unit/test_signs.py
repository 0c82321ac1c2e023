import pytest

from horogen.signs import Sign, parse_sign, sign_from_slug


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Овен", Sign.ARIES),
        ("ОВЕН", Sign.ARIES),
        ("овен", Sign.ARIES),
        ("ОВЕН:", Sign.ARIES),
        ("Овен.", Sign.ARIES),
        ("♈ Овен", Sign.ARIES),
        ("♈Овен", Sign.ARIES),
        ("♈", Sign.ARIES),
        ("Овен (21 марта – 20 апреля)", Sign.ARIES),
        ("Овен 21.03 - 20.04", Sign.ARIES),
        ("Гороскоп на сегодня для Овна", Sign.ARIES),
        ("Гороскоп для Тельца", Sign.TAURUS),
        ("Близнецам", Sign.GEMINI),
        ("Гороскоп на сегодня для Близнецов", Sign.GEMINI),
        ("Рак — гороскоп на сегодня", Sign.CANCER),
        ("Гороскоп для Льва", Sign.LEO),
        ("Гороскоп для Девы на 25 ноября", Sign.VIRGO),
        ("ВЕСЫ (24 сентября - 23 октября)", Sign.LIBRA),
        ("Гороскоп на сегодня для Скорпиона", Sign.SCORPIO),
        ("Стрельцу", Sign.SAGITTARIUS),
        ("♑ Козерог:", Sign.CAPRICORN),
        ("Гороскоп для Водолея", Sign.AQUARIUS),
        ("Рыбы", Sign.PISCES),
        ("Гороскоп на сегодня для Рыб", Sign.PISCES),
        ("  рыбы  \n", Sign.PISCES),
        ("Pisces", Sign.PISCES),
        ("aries", Sign.ARIES),
        ("Водолей (ёлка)", Sign.AQUARIUS),
    ],
)
def test_spellings_real_pages_use(heading: str, expected: Sign) -> None:
    assert parse_sign(heading) is expected


@pytest.mark.parametrize(
    "heading",
    [
        "Гороскоп на сегодня",
        "Для всех знаков зодиака.",
        "Гороскоп на 25 ноября",
        "Читать далее",
        "",
        None,
        "Овен и Телец",  # two signs: ambiguous, not a sign heading
    ],
)
def test_headings_that_are_not_a_sign(heading: str | None) -> None:
    assert parse_sign(heading) is None


def test_every_sign_round_trips_through_its_russian_name_and_emoji() -> None:
    for sign in Sign:
        assert parse_sign(sign.ru) is sign
        assert parse_sign(sign.ru.upper() + ":") is sign
        assert parse_sign(sign.emoji) is sign


def test_genitive_names_as_headings_print_them() -> None:
    assert [sign.genitive for sign in Sign] == [
        "Овна", "Тельца", "Близнецов", "Рака", "Льва", "Девы",
        "Весов", "Скорпиона", "Стрельца", "Козерога", "Водолея", "Рыб",
    ]  # fmt: skip
    for sign in Sign:
        assert parse_sign(f"Гороскоп на сегодня для {sign.genitive}") is sign


def test_slug_lookup_names_the_valid_slugs() -> None:
    assert sign_from_slug("LEO") is Sign.LEO
    with pytest.raises(ValueError, match="aries, taurus"):
        sign_from_slug("ophiuchus")

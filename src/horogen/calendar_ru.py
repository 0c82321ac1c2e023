"""The Russian names of the calendar, one place for all: weekdays, Monday first as
``date.weekday()`` counts, and months in the genitive ("2 декабря"), January first."""

WEEKDAYS = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
MONTHS_GENITIVE = (
    *("января", "февраля", "марта", "апреля", "мая", "июня"),
    *("июля", "августа", "сентября", "октября", "ноября", "декабря"),
)

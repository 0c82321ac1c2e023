"""The unified record every source is normalized into, and its on-disk schemas."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, field_validator

from horogen.signs import Sign


class Category(StrEnum):
    """The kind of horoscope; ``general`` where a site does not say."""

    GENERAL = "general"
    LOVE = "love"
    BUSINESS = "business"
    HEALTH = "health"
    EROTIC = "erotic"
    ANTI = "anti"
    COOK = "cook"
    MOBILE = "mobile"


class Record(BaseModel):
    """One horoscope: a date, sign, category and source."""

    model_config = ConfigDict(frozen=True)

    date: dt.date
    sign: Sign
    category: Category
    source: str
    text: str
    url: str
    collected_at: dt.datetime

    @field_validator("collected_at")
    @classmethod
    def _utc(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    @property
    def key(self) -> tuple[dt.date, Sign, Category, str]:
        """What makes a record unique in the lake."""
        return (self.date, self.sign, self.category, self.source)


RAW_COLUMNS: tuple[str, ...] = tuple(Record.model_fields)

#: Schema of ``raw/date=…/<source>.csv``: dates as ISO strings in the CSV, typed here.
RAW_SCHEMA = pa.schema(
    [
        ("date", pa.date32()),
        ("sign", pa.string()),
        ("category", pa.string()),
        ("source", pa.string()),
        ("text", pa.string()),
        ("url", pa.string()),
        ("collected_at", pa.timestamp("us", tz="UTC")),
    ]
)

#: Schema of ``processed/date=…/part-0.parquet``: the raw columns plus the text's hash.
PROCESSED_SCHEMA = RAW_SCHEMA.append(pa.field("text_hash", pa.string()))

_INLINE_SPACE = re.compile(r"[ \t\r\f\v]+")


def normalize_whitespace(text: str) -> str:
    """Whitespace-normalize a text as published: trim, collapse runs of spaces and tabs
    within a line and keep single line breaks between paragraphs.

    Non-breaking and other Unicode spaces are kept as published; the processing rules
    decide what to do with them.
    """
    lines = (_INLINE_SPACE.sub(" ", line).strip(" ") for line in text.split("\n"))
    return "\n".join(line for line in lines if line)

"""The serving cache: one text per (model, day, category, sign), the claims that make
generation happen once across processes, and readers' votes. SQLAlchemy Core, so the same
code runs on a SQLite file (one machine) and PostgreSQL (replicas).

A *group* is the twelve signs of one model, day and category: the unit of generation.
Generating a group in one call keeps the fast backend's texts reproducible, because
CTranslate2's texts depend on the rows of their call (see
:mod:`horogen.model.ctranslate2_backend`): the call is always the same twelve rows.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    create_engine,
    delete,
    event,
    func,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from horogen.errors import ConfigError, HorogenError
from horogen.model.strategy import Strategy
from horogen.schema import Category
from horogen.serve.schemas import Horoscope, ReaderVerdict, Verdict, horoscope
from horogen.signs import Sign

metadata = MetaData()

texts_table = Table(
    "horoscopes",
    metadata,
    Column("model", String(512), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("category", String(16), primary_key=True),
    Column("sign", String(16), primary_key=True),
    Column("version", Integer, nullable=True),
    Column("text", Text, nullable=False),
    Column("strategy", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

claims_table = Table(
    "generation_claims",
    metadata,
    Column("model", String(512), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("category", String(16), primary_key=True),
    Column("owner", String(128), nullable=False),
    Column("expires_at", Float, nullable=False),
)

votes_table = Table(
    "votes",
    metadata,
    Column("model", String(512), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("category", String(16), primary_key=True),
    Column("sign", String(16), primary_key=True),
    Column("reader", String(64), primary_key=True),
    Column("version", Integer, nullable=True),
    Column("verdict", String(8), nullable=False),
    Column("voted_at", DateTime(timezone=True), nullable=False),
)


class CacheError(HorogenError):
    """The cache database cannot be reached or refused a statement."""


@dataclass(frozen=True)
class Group:
    """The twelve texts of one model, day and category."""

    model: str
    day: dt.date
    category: Category


class Cache:
    """The cache database at ``url``; tables are created on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.engine: Engine = _engine(url)
        except (SQLAlchemyError, ImportError, ValueError) as error:
            raise ConfigError(f"serve.cache_url {url!r} is not usable: {error}") from error
        self._insert = _dialect_insert(self.engine)

    def create(self) -> None:
        """Create the tables unless they exist (several processes may race to do it)."""
        for attempt in range(3):
            try:
                metadata.create_all(self.engine)
                return
            except DBAPIError as error:  # another process created them between check and create
                if attempt == 2:
                    raise CacheError(f"could not create the cache tables: {error}") from error
                time.sleep(0.2)

    def close(self) -> None:
        self.engine.dispose()

    # --- texts ---------------------------------------------------------------------------

    def group(self, group: Group) -> dict[Sign, Horoscope]:
        """The texts of ``group`` that exist."""
        query = select(texts_table).where(*_group_filter(texts_table, group))
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return {Sign(row["sign"]): _horoscope(row) for row in rows}

    def store(self, texts: Iterable[Horoscope]) -> None:
        """Keep ``texts``; a text already there for the same key wins (texts never change)."""
        now = dt.datetime.now(dt.UTC)
        rows = [
            {
                "model": text.model,
                "day": text.date,
                "category": text.category.value,
                "sign": text.sign.value,
                "version": text.version,
                "text": text.text,
                "strategy": text.strategy.to_tag(),
                "created_at": now,
            }
            for text in texts
        ]
        if rows:
            with self.engine.begin() as connection:
                connection.execute(self._insert(texts_table).on_conflict_do_nothing(), rows)

    # --- claims: who generates a group ---------------------------------------------------

    def claim(self, group: Group, owner: str, lease: float) -> bool:
        """Whether ``owner`` now holds ``group``'s claim: it was free, or its holder's lease
        ran out (a process that died while generating)."""
        now = time.time()
        row = {
            "model": group.model,
            "day": group.day,
            "category": group.category.value,
            "owner": owner,
            "expires_at": now + lease,
        }
        with self.engine.begin() as connection:
            inserted = connection.execute(
                self._insert(claims_table).on_conflict_do_nothing(), row
            ).rowcount
            if inserted:
                return True
            taken = connection.execute(
                update(claims_table)
                .where(*_group_filter(claims_table, group), claims_table.c.expires_at < now)
                .values(owner=owner, expires_at=now + lease)
            ).rowcount
        return bool(taken)

    def release(self, group: Group, owner: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                delete(claims_table).where(
                    *_group_filter(claims_table, group), claims_table.c.owner == owner
                )
            )

    # --- votes ---------------------------------------------------------------------------

    def vote(self, text: Horoscope, reader: str, verdict: Verdict) -> tuple[int, int]:
        """Record ``reader``'s verdict on ``text`` (replacing their earlier one); the text's
        likes and dislikes after it."""
        row = {
            "model": text.model,
            "day": text.date,
            "category": text.category.value,
            "sign": text.sign.value,
            "reader": reader,
            "version": text.version,
            "verdict": verdict,
            "voted_at": dt.datetime.now(dt.UTC),
        }
        statement = self._insert(votes_table).values(row)
        statement = statement.on_conflict_do_update(
            index_elements=[c.name for c in votes_table.primary_key.columns],
            set_={"verdict": statement.excluded.verdict, "voted_at": statement.excluded.voted_at},
        )
        same_text = and_(
            votes_table.c.model == text.model,
            votes_table.c.day == text.date,
            votes_table.c.category == text.category.value,
            votes_table.c.sign == text.sign.value,
        )
        with self.engine.begin() as connection:
            connection.execute(statement)
            likes, dislikes = connection.execute(_counts().where(same_text)).one()
        return int(likes or 0), int(dislikes or 0)

    def verdicts(self) -> list[ReaderVerdict]:
        """Votes per model, most voted first."""
        query = _counts(votes_table.c.model, func.max(votes_table.c.version)).group_by(
            votes_table.c.model
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        verdicts = [
            ReaderVerdict(model=model, version=version, likes=likes, dislikes=dislikes)
            for likes, dislikes, model, version in rows
        ]
        return sorted(verdicts, key=lambda v: (-v.votes, v.model))


def _counts(*columns: Any) -> Any:
    def count(verdict: str) -> Any:
        return func.coalesce(func.sum(case((votes_table.c.verdict == verdict, 1), else_=0)), 0)

    return select(count("like"), count("dislike"), *columns)


def _group_filter(table: Table, group: Group) -> tuple[Any, ...]:
    return (
        table.c.model == group.model,
        table.c.day == group.day,
        table.c.category == group.category.value,
    )


def _horoscope(row: Any) -> Horoscope:
    return horoscope(
        Sign(row["sign"]),
        Category(row["category"]),
        row["day"],
        row["text"],
        model=row["model"],
        version=row["version"],
        strategy=Strategy.model_validate(json.loads(row["strategy"])),
    )


def _engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(connection: Any, _record: Any) -> None:
        # Several server processes share the file: readers never wait for the writer (WAL),
        # and a writer waits for another rather than failing at once.
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def _dialect_insert(engine: Engine) -> Any:
    """``insert`` of the engine's dialect: both have ``on_conflict_do_nothing``/``_update``."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise ConfigError(
            f"serve.cache_url: {engine.dialect.name} is not supported; use sqlite:/// or "
            "postgresql+psycopg2://"
        )
    return insert

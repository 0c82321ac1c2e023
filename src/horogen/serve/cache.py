"""The serving stores in SQL: texts, the candidates they were chosen from, generation claims
and readers' votes in four tables of one database, through SQLAlchemy Core, so the same
code runs on a SQLite file (one machine) and PostgreSQL (replicas). :func:`open_stores`
builds both stores over one engine.

The only module of horogen that knows SQLAlchemy: every error of it or of a database
driver leaves here as a :class:`~horogen.serve.stores.CacheError`. Another backend would
be a module beside this one with the same two stores.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import secrets
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import (
    URL,
    Boolean,
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
    make_url,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from horogen.lake import Lake
from horogen.layout import SERVE_DATABASE, shared_file
from horogen.model.strategy import Strategy
from horogen.schema import Category
from horogen.serve.judge import Candidate
from horogen.serve.schemas import Horoscope, horoscope
from horogen.serve.settings import ServeSettings
from horogen.serve.stores import CacheError, CacheURLError, Group, Stores
from horogen.signs import Sign
from horogen.verdicts import ReaderVerdict, Verdict

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

#: Every candidate drawn for a served text (best of k), with its scores: the audit trail.
candidates_table = Table(
    "horoscope_candidates",
    metadata,
    Column("model", String(512), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("category", String(16), primary_key=True),
    Column("sign", String(16), primary_key=True),
    Column("sample", Integer, primary_key=True),
    Column("version", Integer, nullable=True),
    Column("text", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("metric_values", Text, nullable=False),  # JSON: metric → value or null
    Column("failed", Text, nullable=False),  # JSON: the checks it did not pass
    Column("chosen", Boolean, nullable=False),
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


keys_table = Table(
    "serving_keys",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(128), nullable=False),
)


def open_stores(serve: ServeSettings, lake: Lake | None = None) -> Stores:
    """The text and verdict stores in the database of ``serve.cache_url``, else in the
    SQLite file of the local ``lake``: one engine for both. Nothing connects until a store
    is used; :meth:`Stores.create` makes the tables. Raises
    :class:`~horogen.serve.stores.CacheURLError` for a URL no database can be opened
    from (malformed, an unknown dialect, a missing driver)."""
    if serve.cache_url:
        url = serve.cache_url
    elif lake is not None:
        url = serve.database_url(lake)
    else:
        raise CacheURLError("no serving database: set HOROGEN_SERVE__CACHE_URL")
    database = _Database(url)
    return Stores(
        texts=SqlTextStore(database),
        verdicts=SqlVerdictStore(database),
        where=database.url.render_as_string(hide_password=True),
    )


def nothing_served(serve: ServeSettings, lake: Lake) -> bool:
    """Whether there is no serving database yet (no SQLite file: nothing was served), so a
    reader outside serving has nothing to read and creates nothing. A database server
    counts as one."""
    if serve.cache_url:
        url = _parse(serve.cache_url)
        return url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file()
    path = shared_file(lake, SERVE_DATABASE)
    return path is None or not path.is_file()


@contextlib.contextmanager
def _answering() -> Iterator[None]:
    """SQLAlchemy's and the driver's errors as horogen's (a decorator of the stores'
    methods)."""
    try:
        yield
    except SQLAlchemyError as error:
        raise CacheError(f"the serving cache does not answer: {_why(error)}") from error


def _why(error: Exception) -> str:
    """The driver's error and its first line about ``error`` (no SQL, no link)."""
    cause = getattr(error, "orig", None) or error
    kind = type(cause)
    name = f"{kind.__module__.split('.')[0]}.{kind.__name__}"
    lines = str(cause).strip().splitlines()
    return f"{name}: {lines[0]}" if lines else name


class _Database:
    """The engine both stores share, and its dialect's ``insert`` (SQLite's and
    PostgreSQL's both have ``on_conflict_do_nothing``/``_update``)."""

    def __init__(self, url: str) -> None:
        self.url = _parse(url)
        try:
            self.engine = _engine(self.url)
        except (SQLAlchemyError, ImportError, ValueError) as error:
            raise CacheURLError(f"serve.cache_url {self.shown} is not usable: {error}") from error
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif self.engine.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            raise CacheURLError(
                f"serve.cache_url: {self.engine.dialect.name} is not supported; use sqlite:/// "
                "or postgresql+psycopg2://"
            )
        self.insert = insert

    @property
    def shown(self) -> str:
        return repr(self.url.render_as_string(hide_password=True))

    @_answering()
    def create(self, tables: list[Table]) -> None:
        """Create ``tables`` unless they exist (several processes may race to do it)."""
        for attempt in range(3):
            try:
                metadata.create_all(self.engine, tables=tables)
                return
            except DBAPIError as error:  # another process created them between check and create
                if attempt == 2:
                    raise CacheError(
                        f"could not create the cache tables in {self.shown}: {_why(error)}"
                    ) from error
                time.sleep(0.2)

    def close(self) -> None:
        self.engine.dispose()


class SqlTextStore:
    """Texts in ``horoscopes``, claims in ``generation_claims``
    (a :class:`~horogen.serve.stores.TextStore`)."""

    def __init__(self, database: _Database) -> None:
        self._database = database
        self._engine = database.engine

    def create(self) -> None:
        self._database.create([texts_table, candidates_table, claims_table])

    def close(self) -> None:
        self._database.close()

    @_answering()
    def group(self, group: Group) -> dict[Sign, Horoscope]:
        query = select(texts_table).where(*_group_filter(texts_table, group))
        with self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return {Sign(row["sign"]): _horoscope(row) for row in rows}

    @_answering()
    def candidates(self, group: Group, sign: Sign | None = None) -> list[Candidate]:
        query = select(candidates_table).where(*_group_filter(candidates_table, group))
        if sign is not None:
            query = query.where(candidates_table.c.sign == sign.value)
        query = query.order_by(candidates_table.c.sign, candidates_table.c.sample)
        with self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [_candidate(row) for row in rows]

    @_answering()
    def store(self, texts: Iterable[Horoscope], candidates: Iterable[Candidate] = ()) -> None:
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
        drawn = [
            {
                "model": candidate.model,
                "day": candidate.date,
                "category": candidate.category.value,
                "sign": candidate.sign.value,
                "sample": candidate.sample,
                "version": candidate.version,
                "text": candidate.text,
                "score": candidate.score,
                "metric_values": json.dumps(candidate.values),
                "failed": json.dumps(candidate.failed),
                "chosen": candidate.chosen,
                "created_at": now,
            }
            for candidate in candidates
        ]
        with self._engine.begin() as connection:  # the texts and their audit trail together
            for table, values in ((texts_table, rows), (candidates_table, drawn)):
                if values:
                    insert = self._database.insert(table).on_conflict_do_nothing()
                    connection.execute(insert, values)

    @_answering()
    def claim(self, group: Group, owner: str, lease: float) -> bool:
        now = time.time()
        row = {
            "model": group.model,
            "day": group.day,
            "category": group.category.value,
            "owner": owner,
            "expires_at": now + lease,
        }
        with self._engine.begin() as connection:
            inserted = connection.execute(
                self._database.insert(claims_table).on_conflict_do_nothing(), row
            ).rowcount
            if inserted:
                return True
            taken = connection.execute(
                update(claims_table)
                .where(*_group_filter(claims_table, group), claims_table.c.expires_at < now)
                .values(owner=owner, expires_at=now + lease)
            ).rowcount
        return bool(taken)

    @_answering()
    def renew(self, group: Group, owner: str, lease: float) -> bool:
        with self._engine.begin() as connection:
            renewed = connection.execute(
                update(claims_table)
                .where(*_group_filter(claims_table, group), claims_table.c.owner == owner)
                .values(expires_at=time.time() + lease)
            ).rowcount
        return bool(renewed)

    @_answering()
    def release(self, group: Group, owner: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                delete(claims_table).where(
                    *_group_filter(claims_table, group), claims_table.c.owner == owner
                )
            )


class SqlVerdictStore:
    """Readers' votes in ``votes``, one row per reader and text
    (a :class:`~horogen.serve.stores.VerdictStore`)."""

    def __init__(self, database: _Database) -> None:
        self._database = database
        self._engine = database.engine

    def create(self) -> None:
        self._database.create([votes_table, keys_table])

    @_answering()
    def secret(self) -> bytes:
        """The key readers' cookies are signed with: made once, then shared by every
        process on this database."""
        made = secrets.token_hex(32)
        with self._engine.begin() as connection:
            connection.execute(
                self._database.insert(keys_table).on_conflict_do_nothing(),
                {"name": "reader_secret", "value": made},
            )
            value = connection.execute(
                select(keys_table.c.value).where(keys_table.c.name == "reader_secret")
            ).scalar_one()
        return bytes.fromhex(value)

    def close(self) -> None:
        self._database.close()

    @_answering()
    def record(self, text: Horoscope, reader: str, verdict: Verdict) -> tuple[int, int]:
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
        statement = self._database.insert(votes_table).values(row)
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
        with self._engine.begin() as connection:
            connection.execute(statement)
            likes, dislikes = connection.execute(_counts().where(same_text)).one()
        return int(likes or 0), int(dislikes or 0)

    @_answering()
    def per_model(self, since: dt.datetime | None = None) -> list[ReaderVerdict]:
        query = _counts(
            votes_table.c.model,
            func.max(votes_table.c.version),
            func.count(func.distinct(votes_table.c.reader)),
        ).group_by(votes_table.c.model)
        if since is not None:
            query = query.where(votes_table.c.voted_at >= since.astimezone(dt.UTC))
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        verdicts = [
            ReaderVerdict(
                model=model, version=version, likes=likes, dislikes=dislikes, readers=readers
            )
            for likes, dislikes, model, version, readers in rows
        ]
        return sorted(verdicts, key=lambda v: (-v.votes, v.model))

    def per_version(self, name: str, since: dt.datetime | None = None) -> dict[int, ReaderVerdict]:
        prefix = f"{name}/"
        return {
            verdict.version: verdict
            for verdict in self.per_model(since)
            if verdict.version is not None and verdict.model.startswith(prefix)
        }


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


def _candidate(row: Any) -> Candidate:
    return Candidate(
        model=row["model"],
        version=row["version"],
        date=row["day"],
        category=Category(row["category"]),
        sign=Sign(row["sign"]),
        sample=row["sample"],
        text=row["text"],
        score=row["score"],
        values=json.loads(row["metric_values"]),
        failed=json.loads(row["failed"]),
        chosen=row["chosen"],
    )


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except (SQLAlchemyError, ValueError) as error:  # not shown: it may hold a password
        raise CacheURLError(f"serve.cache_url is not a database URL: {error}") from error


def _engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
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

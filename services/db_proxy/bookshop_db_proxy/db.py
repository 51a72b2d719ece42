"""The SQLite database: one connection on one thread, one traced span per statement."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiozipkin as az

__all__ = ["SCHEMA", "SEED_BOOKS", "Database", "Result", "Statement", "Transaction"]

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS books (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        author TEXT NOT NULL,
        price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
        stock INTEGER NOT NULL CHECK (stock >= 0)
    )""",
    """CREATE TABLE IF NOT EXISTS orders (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        book_id INTEGER NOT NULL REFERENCES books (id),
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
)

SEED_BOOKS: tuple[tuple[int, str, str, int, int], ...] = (
    (1, "The Pragmatic Programmer", "Andrew Hunt, David Thomas", 4299, 1000),
    (2, "Designing Data-Intensive Applications", "Martin Kleppmann", 4599, 1000),
    (3, "Site Reliability Engineering", "Betsy Beyer et al.", 3999, 1000),
    (4, "Distributed Systems Observability", "Cindy Sridharan", 1999, 1000),
    (5, "Structure and Interpretation of Computer Programs", "Abelson, Sussman", 5499, 1000),
    (6, "The Mythical Man-Month", "Frederick P. Brooks Jr.", 2899, 1000),
    (7, "Release It!", "Michael T. Nygard", 3799, 1000),
    (8, "Fluent Python", "Luciano Ramalho", 5999, 1000),
    (9, "Database Internals", "Alex Petrov", 4799, 1000),
    (10, "Mastering Distributed Tracing", "Yuri Shkuro", 3999, 1000),
    (
        11,
        "Dapper, a Large-Scale Distributed Systems Tracing Infrastructure",
        "Sigelman et al.",
        0,
        1000,
    ),
    (12, "Refactoring", "Martin Fowler", 4499, 1000),
)

_SEED_SQL = (
    "INSERT OR IGNORE INTO books (id, title, author, price_cents, stock) VALUES (?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class Statement:
    """A parameterized SQL statement and the name of its span."""

    label: str
    sql: str


@dataclass(frozen=True, slots=True)
class Result:
    """Rows (as dicts) of a SELECT, or the row count of any statement."""

    rows: tuple[dict[str, Any], ...]
    row_count: int
    last_row_id: int | None


class Database:
    """A single SQLite connection used from one worker thread, one transaction at a time."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._conn: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        """Connect, create the schema and seed the books (idempotent)."""
        await self._call(self._open_sync)

    async def close(self) -> None:
        if self._conn is not None:
            await self._call(self._conn.close)
            self._conn = None
        self._executor.shutdown(wait=True)

    def _open_sync(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN")
        for ddl in SCHEMA:
            conn.execute(ddl)
        conn.executemany(_SEED_SQL, SEED_BOOKS)
        conn.execute("COMMIT")
        self._conn = conn

    async def _call(self, fn: Any, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    async def run(self, sql: str, params: Sequence[object] = ()) -> Result:
        """Run one statement on the database thread; inside a `transaction` for writes."""
        result: Result = await self._call(self._execute_sync, sql, params)
        return result

    def _execute_sync(self, sql: str, params: Sequence[object]) -> Result:
        if self._conn is None:
            raise RuntimeError("database is not open")
        cursor = self._conn.execute(sql, tuple(params))
        rows = tuple(dict(row) for row in cursor.fetchall())
        row_count = len(rows) if cursor.description is not None else cursor.rowcount
        return Result(rows=rows, row_count=row_count, last_row_id=cursor.lastrowid)

    @asynccontextmanager
    async def transaction(
        self, tracer: az.Tracer, parent: az.TraceContext, query_name: str
    ) -> AsyncIterator[Transaction]:
        """Run statements in one transaction, committed on success, rolled back on error."""
        async with self._lock:
            await self.run("BEGIN IMMEDIATE")
            try:
                yield Transaction(self, tracer, parent, query_name)
            except BaseException:
                await asyncio.shield(self.run("ROLLBACK"))
                raise
            await self.run("COMMIT")


class Transaction:
    """Statements of one named query; each one is a local span under the request's span."""

    __slots__ = ("_db", "_parent", "_query_name", "_tracer")

    def __init__(
        self, db: Database, tracer: az.Tracer, parent: az.TraceContext, query_name: str
    ) -> None:
        self._db = db
        self._tracer = tracer
        self._parent = parent
        self._query_name = query_name

    async def execute(self, statement: Statement, params: Sequence[object]) -> Result:
        with self._tracer.new_child(self._parent) as span:
            span.name(statement.label)
            span.tag("db.system", "sqlite")
            span.tag("db.query_name", self._query_name)
            span.tag("db.statement", statement.sql)
            result = await self._db.run(statement.sql, params)
            span.tag("db.row_count", str(result.row_count))
            return result

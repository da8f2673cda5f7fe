"""Full-text search over stored prompts and responses (SQLite FTS5).

By default the text is taken as plain words, all of which must occur (in any order,
any case, accents ignored): ``search("refund policy")``. With ``syntax=True`` it is an
FTS5 query as written: phrases in double quotes, ``OR``, ``NOT``, ``NEAR``, ``pre*``.
A query holds at most :data:`MAX_SEARCH_WORDS` distinct words (and :data:`MAX_QUERY_CHARS`
characters with ``syntax=True``): SQLite's time grows with every term, and a pasted
document as a query would hold the kernel for minutes.
"""

from __future__ import annotations

import re
import sqlite3

from ..errors import ConfigurationError, InvalidInputError
from .index import TOKENIZE, indexed_sql, indexed_through
from .sqlrow import Cell, Row
from .store import ALL_COLUMNS

__all__ = ["MAX_QUERY_CHARS", "MAX_SEARCH_WORDS", "fts_query", "search_rows"]

#: Distinct words a plain search may hold (all must occur, so more rarely find anything).
MAX_SEARCH_WORDS = 64
#: Longest FTS5 query accepted with ``syntax=True``.
MAX_QUERY_CHARS = 4096
_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str, syntax: bool = False) -> str:
    """The FTS5 MATCH expression for ``text``; plain words are quoted so none is an operator."""
    if syntax:
        if len(text) > MAX_QUERY_CHARS:
            raise InvalidInputError(
                f"The search query is {len(text):,} characters long; at most "
                f"{MAX_QUERY_CHARS:,} are accepted.",
                what="the search query",
            )
        return text
    words = list(dict.fromkeys(w.casefold() for w in _WORD.findall(text)))
    if not words:
        raise ConfigurationError(f"Nothing to search for in {text[:80]!r}: give at least one word.")
    if len(words) > MAX_SEARCH_WORDS:
        raise InvalidInputError(
            f"The search text has {len(words):,} different words ({text[:40]!r}...); at most "
            f"{MAX_SEARCH_WORDS} are searched for, and every one must occur. Pick the few "
            "that matter.",
            what="the search text",
        )
    return " ".join(f'"{w}"' for w in words)


def search_rows(
    conn: sqlite3.Connection, text: str, limit: int = 50, syntax: bool = False
) -> list[Row]:
    """Rows (``ALL_COLUMNS`` order) whose prompt or response matches, best match first.

    Rows the index does not reach yet (it could not be brought up to date: a full disk)
    are searched too, through an index of just them built in memory for this query.
    """
    cols = ", ".join(f"e.{c}" for c in ALL_COLUMNS)
    query = fts_query(text, syntax)
    try:
        tail = _index_tail(conn)
        matches = "SELECT rowid AS hit, rank AS score FROM audit_fts WHERE audit_fts MATCH ?"
        params: list[Cell] = [query]
        if tail:
            matches += " UNION ALL SELECT rowid, rank FROM temp.audit_fts_tail "
            matches += "WHERE audit_fts_tail MATCH ?"
            params.append(query)
        sql = (
            f"SELECT {cols} FROM ({matches}) JOIN audit_events AS e ON e.seq = hit "
            "ORDER BY score, e.seq DESC LIMIT ?"
        )
        return conn.execute(sql, [*params, int(limit)]).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc) or "no such module" in str(exc):
            raise ConfigurationError(
                "Full-text search needs SQLite with FTS5, which this Python's sqlite3 lacks."
            ) from exc
        raise ConfigurationError(f"Invalid search query {text!r}: {exc}") from exc


def _index_tail(conn: sqlite3.Connection) -> bool:
    """Index the rows after the index's reach in a temporary in-memory FTS5 table (on this
    read connection only); ``False`` when there are none."""
    done = indexed_through(conn)
    if not conn.execute(
        f"SELECT 1 FROM audit_events AS e WHERE seq > ? AND {indexed_sql('e')} LIMIT 1", (done,)
    ).fetchone():
        return False
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.audit_fts_tail USING fts5(prompt, response, "
        f"tokenize='{TOKENIZE}')"
    )
    conn.execute("DELETE FROM temp.audit_fts_tail")
    conn.execute(
        "INSERT INTO temp.audit_fts_tail(rowid, prompt, response) SELECT seq, prompt, response "
        f"FROM audit_events AS e WHERE seq > ? AND {indexed_sql('e')}",
        (done,),
    )
    return True

"""The charge point's persistent state in one SQLite file: the queue of transaction messages,
open transactions, the local authorization list and cache, charging profiles, configuration.

Every change is committed before the caller goes on (``synchronous=FULL``), so a crash of the
process, at any instant, leaves what was queued in the file. ``:memory:`` keeps it for the run.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    unique_id TEXT NOT NULL UNIQUE,
    action TEXT NOT NULL,
    payload TEXT NOT NULL,
    tx_ref TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS transactions (
    local_id TEXT PRIMARY KEY,
    connector INTEGER NOT NULL,
    server_id TEXT,
    open INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS auth (
    kind TEXT NOT NULL,
    id_token TEXT NOT NULL,
    info TEXT NOT NULL,
    PRIMARY KEY (kind, id_token)
);
CREATE TABLE IF NOT EXISTS profiles (
    id INTEGER PRIMARY KEY,
    connector INTEGER NOT NULL,
    data TEXT NOT NULL
);
"""


@dataclass
class QueuedMessage:
    seq: int
    unique_id: str
    action: str
    payload: dict
    tx_ref: str | None
    attempts: int


@dataclass
class StoredTransaction:
    local_id: str
    connector: int
    server_id: str | None
    open: bool
    data: dict


class Store:
    def __init__(self, path: str):
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        if path != ":memory:":
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    # --- meta ----------------------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def put(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                        (key, json.dumps(value)))

    def next_boot(self) -> int:
        """Count this start of the charge point; message and transaction ids include it, so
        they never repeat across restarts."""
        boot = int(self.get("boot_count", 0)) + 1
        self.put("boot_count", boot)
        return boot

    # --- transaction message queue -----------------------------------------------------------
    def enqueue(self, unique_id: str, action: str, payload: dict, tx_ref: str | None,
                tx_update: tuple[str, dict] | None = None) -> int:
        """Append a message (and, atomically with it, update its transaction's data)."""
        with self._atomic():
            cursor = self.db.execute(
                "INSERT INTO queue (unique_id, action, payload, tx_ref) VALUES (?, ?, ?, ?)",
                (unique_id, action, json.dumps(payload), tx_ref))
            if tx_update is not None:
                self.db.execute("UPDATE transactions SET data = ? WHERE local_id = ?",
                                (json.dumps(tx_update[1]), tx_update[0]))
        return int(cursor.lastrowid)

    def pending(self) -> list[QueuedMessage]:
        rows = self.db.execute("SELECT seq, unique_id, action, payload, tx_ref, attempts "
                               "FROM queue ORDER BY seq").fetchall()
        return [QueuedMessage(s, u, a, json.loads(p), t, n) for s, u, a, p, t, n in rows]

    def message(self, seq: int) -> QueuedMessage | None:
        row = self.db.execute("SELECT seq, unique_id, action, payload, tx_ref, attempts "
                              "FROM queue WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            return None
        s, u, a, p, t, n = row
        return QueuedMessage(s, u, a, json.loads(p), t, n)

    def count_pending(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM queue").fetchone()[0])

    def acknowledge(self, seq: int) -> None:
        self.db.execute("DELETE FROM queue WHERE seq = ?", (seq,))

    def renumber(self, seq: int, unique_id: str) -> None:
        """A message the backend refused (CallError) goes out again as a new message."""
        self.db.execute("UPDATE queue SET unique_id = ? WHERE seq = ?", (unique_id, seq))

    def count_attempt(self, seq: int) -> int:
        self.db.execute("UPDATE queue SET attempts = attempts + 1 WHERE seq = ?", (seq,))
        row = self.db.execute("SELECT attempts FROM queue WHERE seq = ?", (seq,)).fetchone()
        return int(row[0]) if row else 0

    # --- transactions --------------------------------------------------------------------------
    def open_transaction(self, local_id: str, connector: int, data: dict) -> None:
        self.db.execute("INSERT OR REPLACE INTO transactions (local_id, connector, server_id, "
                        "open, data) VALUES (?, ?, NULL, 1, ?)",
                        (local_id, connector, json.dumps(data)))

    def update_transaction(self, local_id: str, data: dict) -> None:
        self.db.execute("UPDATE transactions SET data = ? WHERE local_id = ?",
                        (json.dumps(data), local_id))

    def close_transaction(self, local_id: str) -> None:
        self.db.execute("UPDATE transactions SET open = 0 WHERE local_id = ?", (local_id,))

    def set_server_id(self, local_id: str, server_id: str) -> None:
        self.db.execute("UPDATE transactions SET server_id = ? WHERE local_id = ?",
                        (server_id, local_id))

    def transaction(self, local_id: str) -> StoredTransaction | None:
        row = self.db.execute("SELECT local_id, connector, server_id, open, data FROM "
                              "transactions WHERE local_id = ?", (local_id,)).fetchone()
        return self._tx(row) if row else None

    def by_server_id(self, server_id: str) -> StoredTransaction | None:
        row = self.db.execute("SELECT local_id, connector, server_id, open, data FROM "
                              "transactions WHERE server_id = ? ORDER BY rowid DESC",
                              (server_id,)).fetchone()
        return self._tx(row) if row else None

    def open_transactions(self) -> list[StoredTransaction]:
        rows = self.db.execute("SELECT local_id, connector, server_id, open, data FROM "
                               "transactions WHERE open = 1 ORDER BY rowid").fetchall()
        return [self._tx(r) for r in rows]

    def forget_closed_transactions(self) -> None:
        """Drop closed transactions no queued message refers to any more."""
        self.db.execute("DELETE FROM transactions WHERE open = 0 AND local_id NOT IN "
                        "(SELECT tx_ref FROM queue WHERE tx_ref IS NOT NULL)")

    @staticmethod
    def _tx(row: tuple) -> StoredTransaction:
        local_id, connector, server_id, is_open, data = row
        return StoredTransaction(local_id, connector, server_id, bool(is_open), json.loads(data))

    # --- authorization: local list and cache ---------------------------------------------------
    def auth_entry(self, kind: str, id_token: str) -> dict | None:
        row = self.db.execute("SELECT info FROM auth WHERE kind = ? AND id_token = ?",
                              (kind, id_token)).fetchone()
        return json.loads(row[0]) if row else None

    def set_auth_entry(self, kind: str, id_token: str, info: dict | None) -> None:
        if info is None:
            self.db.execute("DELETE FROM auth WHERE kind = ? AND id_token = ?", (kind, id_token))
        else:
            self.db.execute("INSERT OR REPLACE INTO auth (kind, id_token, info) VALUES (?, ?, ?)",
                            (kind, id_token, json.dumps(info)))

    def replace_auth(self, kind: str, entries: dict[str, dict]) -> None:
        with self._atomic():
            self.db.execute("DELETE FROM auth WHERE kind = ?", (kind,))
            self.db.executemany("INSERT INTO auth (kind, id_token, info) VALUES (?, ?, ?)",
                                [(kind, t, json.dumps(i)) for t, i in entries.items()])

    def update_auth(self, kind: str, entries: dict[str, dict | None]) -> None:
        with self._atomic():
            for token, info in entries.items():
                self.set_auth_entry(kind, token, info)

    def auth_count(self, kind: str) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM auth WHERE kind = ?",
                                   (kind,)).fetchone()[0])

    def clear_auth(self, kind: str) -> None:
        self.db.execute("DELETE FROM auth WHERE kind = ?", (kind,))

    # --- charging profiles ---------------------------------------------------------------------
    def profiles(self) -> list[tuple[int, int, dict]]:
        rows = self.db.execute("SELECT id, connector, data FROM profiles ORDER BY id").fetchall()
        return [(i, c, json.loads(d)) for i, c, d in rows]

    def put_profile(self, profile_id: int, connector: int, data: dict) -> None:
        self.db.execute("INSERT OR REPLACE INTO profiles (id, connector, data) VALUES (?, ?, ?)",
                        (profile_id, connector, json.dumps(data)))

    def delete_profile(self, profile_id: int) -> None:
        self.db.execute("DELETE FROM profiles WHERE id = ?", (profile_id,))

    # --- plumbing ------------------------------------------------------------------------------
    def _atomic(self) -> _Atomic:
        return _Atomic(self.db)


class _Atomic:
    """BEGIN ... COMMIT (ROLLBACK on an exception) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN")

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")

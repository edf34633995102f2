"""The persistent store: what is committed survives closing the file (as after a crash)."""

from __future__ import annotations

from pathlib import Path

from charger.ocpp.store import Store


def test_queue_and_transactions_survive_reopening(tmp_path: Path) -> None:
    path = str(tmp_path / "cp.sqlite")
    store = Store(path)
    assert store.next_boot() == 1
    store.open_transaction("T1-1", 1, {"seq_no": 0})
    first = store.enqueue("1-1", "StartTransaction", {"connectorId": 1}, "T1-1")
    second = store.enqueue("1-2", "MeterValues", {"connectorId": 1}, "T1-1",
                           tx_update=("T1-1", {"seq_no": 1}))
    store.acknowledge(first)
    store.set_server_id("T1-1", "42")
    store.db.close()  # no orderly shutdown

    again = Store(path)
    assert again.next_boot() == 2
    assert [(m.seq, m.unique_id, m.action) for m in again.pending()] == \
        [(second, "1-2", "MeterValues")]
    tx = again.transaction("T1-1")
    assert tx is not None and tx.server_id == "42" and tx.data == {"seq_no": 1} and tx.open
    assert again.by_server_id("42").local_id == "T1-1"


def test_closed_transactions_are_forgotten_once_nothing_refers_to_them(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "cp.sqlite"))
    store.open_transaction("T1-1", 1, {})
    seq = store.enqueue("1-1", "StopTransaction", {}, "T1-1")
    store.close_transaction("T1-1")
    store.forget_closed_transactions()
    assert store.transaction("T1-1") is not None
    store.acknowledge(seq)
    store.forget_closed_transactions()
    assert store.transaction("T1-1") is None


def test_local_list_and_cache(tmp_path: Path) -> None:
    store = Store(":memory:")
    store.replace_auth("local", {"A": {"status": "Accepted"}, "B": {"status": "Blocked"}})
    store.update_auth("local", {"B": None, "C": {"status": "Accepted"}})
    assert store.auth_entry("local", "B") is None
    assert store.auth_count("local") == 2
    store.set_auth_entry("cache", "A", {"status": "Invalid"})
    store.clear_auth("cache")
    assert store.auth_entry("cache", "A") is None
    assert store.auth_entry("local", "A") == {"status": "Accepted"}

"""SLAC between EvseSlac and SimEvSlac on the simulated PLC link, in virtual time: the message
sequence and its timing read from the timeline, several cars at once told apart by attenuation,
loss answered by the standard's retries, and the timeouts that end a matching."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charger.slac import frames
from charger.slac.timing import SLAC
from tests.slac.conftest import SlacBench, ev_mac, evse_mac, slac_station_doc

Bench = Callable[..., SlacBench]


def seconds(name: str) -> float:
    return SLAC[name].value


def plug_and_match(bench: SlacBench, connectors: list[int], settle_s: float = 6.0) -> None:
    for n in connectors:
        assert bench.call(f"evse{n}", "main", "enter_bcd") is True
    for n in connectors:
        assert bench.call(f"car{n}", "main", "trigger_matching") is True
    bench.advance(settle_s)


def sent(bench: SlacBench, source: str) -> list[tuple[float, dict]]:
    """Frames a module handed its modem: (time, decoded)."""
    return [(r.t, frames.describe(bytes.fromhex(r.value["args"]["frame"])))
            for r in bench.recorder.rows if r.kind == "cmd" and r.source == source]


def names(rows: list[tuple[float, dict]]) -> list[str]:
    return [decoded["message"] for _, decoded in rows]


def test_one_car_matches_with_the_standards_sequence_and_timing(slac_bench: Bench) -> None:
    bench = slac_bench(1)
    plug_and_match(bench, [1])
    car, evse = sent(bench, "car1"), sent(bench, "evse1")
    assert names(car) == (["CM_SLAC_PARM.REQ"] + ["CM_START_ATTEN_CHAR.IND"] * 3
                          + ["CM_MNBC_SOUND.IND"] * 10
                          + ["CM_ATTEN_CHAR.RSP", "CM_SLAC_MATCH.REQ", "CM_SET_KEY.REQ"])
    assert names(evse) == ["CM_SET_KEY.REQ", "CM_SLAC_PARM.CNF", "CM_ATTEN_CHAR.IND",
                           "CM_SLAC_MATCH.CNF"]
    times = {name: [t for t, d in car + evse if d["message"] == name]
             for name in frames.BY_NAME}
    assert times["CM_SLAC_PARM.CNF"][0] - times["CM_SLAC_PARM.REQ"][0] \
        <= seconds("TT_match_response")
    batch = [*times["CM_START_ATTEN_CHAR.IND"], *times["CM_MNBC_SOUND.IND"]]
    gaps = [b - a for a, b in zip(batch, batch[1:])]
    assert all(SLAC["TP_EV_batch_msg_interval"].check(round(gap, 9)) is None for gap in gaps)
    countdown = [d["fields"]["Countdown"] for _, d in car if d["message"] == "CM_MNBC_SOUND.IND"]
    assert countdown == list(range(9, -1, -1))
    first_start = times["CM_START_ATTEN_CHAR.IND"][0]
    # The EVSE reports after its sound window, the car matches once its results window ends.
    assert times["CM_ATTEN_CHAR.IND"][0] - first_start <= seconds("TT_EV_atten_results")
    assert times["CM_SLAC_MATCH.REQ"][0] - first_start >= seconds("TT_EV_atten_results")
    matched_at = bench.first_time("evse1.main", "state", "MATCHED")
    assert matched_at is not None and matched_at - times["CM_SLAC_MATCH.REQ"][0] \
        <= seconds("TT_match_response")
    assert bench.last("evse1.main", "ev_mac_address") == ev_mac(1).upper()
    assert bench.last("car1.main", "ev_mac_address") == evse_mac(1).upper()
    assert bench.last("car1.main", "dlink_ready") is True
    assert bench.last("evse1.main", "dlink_ready") is True
    # The key the car's modem got is the one the EVSE's modem got.
    cnf = next(d for _, d in evse if d["message"] == "CM_SLAC_MATCH.CNF")
    evse_key = next(d for _, d in evse if d["message"] == "CM_SET_KEY.REQ")
    car_key = next(d for _, d in car if d["message"] == "CM_SET_KEY.REQ")
    assert cnf["fields"]["NMK"] == evse_key["fields"]["NewKey"] == car_key["fields"]["NewKey"]
    assert bench.exceptions() == []


def test_the_timeline_holds_every_frame_decoded_and_in_hex(slac_bench: Bench) -> None:
    bench = slac_bench(1)
    plug_and_match(bench, [1])
    received = bench.frames("evse") + bench.frames("ev")
    assert received
    for _, value in received:
        assert frames.parse_frame(bytes.fromhex(value["frame"])).to_json() == value["decoded"]
    results = [r.value["result"]["message"] for r in bench.recorder.rows
               if r.kind == "result" and r.name.endswith("send_frame")]
    assert set(results) == set(frames.BY_NAME) - {"CM_SET_KEY.CNF", "CM_ATTEN_PROFILE.IND"}
    text = bench.timeline_text()
    assert "CM_ATTEN_PROFILE.IND" in text and "RunID" in text


@pytest.mark.parametrize("connectors", [2, 3, 4])
def test_cars_plugged_in_together_each_match_their_own_evse(
        slac_bench: Bench, connectors: int) -> None:
    bench = slac_bench(connectors, {"crosstalk_db": 15})
    plug_and_match(bench, list(range(1, connectors + 1)))
    for n in range(1, connectors + 1):
        assert bench.last(f"car{n}.main", "ev_mac_address") == evse_mac(n).upper()
        assert bench.last(f"evse{n}.main", "ev_mac_address") == ev_mac(n).upper()
    # Crosstalk was real: every EVSE next to another heard that car and reported to it.
    reports = {(d["src"], d["dst"]) for _, d in
               [(t, v["decoded"]) for t, v in bench.frames("ev")]
               if d["message"] == "CM_ATTEN_CHAR.IND"}
    assert (evse_mac(2), ev_mac(1)) in reports
    assert bench.exceptions() == []


def test_the_car_follows_attenuation_not_the_connector_number(slac_bench: Bench) -> None:
    # A damaged cable: connector 1's car is heard better by EVSE 2 than by its own EVSE.
    bench = slac_bench(2, {"paths": [{"ev_port": 1, "evse_port": 1, "attenuation_db": 60},
                                     {"ev_port": 1, "evse_port": 2, "attenuation_db": 30}]})
    bench.call("evse2", "main", "enter_bcd")  # a car there too, not talking yet
    plug_and_match(bench, [1])
    assert bench.last("car1.main", "ev_mac_address") == evse_mac(2).upper()


def test_an_evse_without_a_car_on_its_pilot_stays_silent(slac_bench: Bench) -> None:
    bench = slac_bench(2, {"crosstalk_db": 5})
    bench.call("evse1", "main", "enter_bcd")
    bench.call("car1", "main", "trigger_matching")
    bench.advance(4)
    assert sent(bench, "evse2") == [sent(bench, "evse2")[0]]  # only its own CM_SET_KEY.REQ
    assert bench.last("evse2.main", "state") == "UNMATCHED"
    assert bench.last("car1.main", "ev_mac_address") == evse_mac(1).upper()


def test_a_second_car_plugged_in_during_a_matching_gets_its_own_match(slac_bench: Bench) -> None:
    bench = slac_bench(2, {"crosstalk_db": 10})
    bench.call("evse1", "main", "enter_bcd")
    bench.call("car1", "main", "trigger_matching")
    bench.advance(0.3)  # car 1 is sounding
    bench.call("evse2", "main", "enter_bcd")
    bench.call("car2", "main", "trigger_matching")
    bench.advance(6)
    assert bench.last("car1.main", "ev_mac_address") == evse_mac(1).upper()
    assert bench.last("car2.main", "ev_mac_address") == evse_mac(2).upper()


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_lost_frames_are_made_up_by_retries(slac_bench: Bench, seed: int) -> None:
    bench = slac_bench(1, {"loss": 0.25}, seed=seed)
    plug_and_match(bench, [1], settle_s=seconds("TT_matching_repetition") + 2)
    assert bench.last("car1.main", "state") == "MATCHED"
    assert bench.last("evse1.main", "ev_mac_address") == ev_mac(1).upper()


def test_loss_makes_the_sides_repeat_their_requests(slac_bench: Bench) -> None:
    repeats = 0
    for seed in range(1, 6):
        bench = slac_bench(1, {"loss": 0.25}, seed=seed)
        plug_and_match(bench, [1], settle_s=seconds("TT_matching_repetition") + 2)
        car = names(sent(bench, "car1"))
        repeats += car.count("CM_SLAC_PARM.REQ") - 1 + car.count("CM_SLAC_MATCH.REQ") - 1
    assert repeats > 0


def test_a_car_no_evse_answers_repeats_then_gives_up(slac_bench: Bench) -> None:
    bench = slac_bench(1)  # the EVSE never sees the car on its pilot
    bench.call("car1", "main", "trigger_matching")
    bench.advance(seconds("TT_matching_repetition") + 3)
    requests = [t for t, d in sent(bench, "car1") if d["message"] == "CM_SLAC_PARM.REQ"]
    tries = 1 + SLAC["C_EV_match_retry"].value
    assert len(requests) % tries == 0 and len(requests) >= 2 * tries
    first_run = requests[:int(tries)]
    assert [b - a for a, b in zip(first_run, first_run[1:])] == \
        pytest.approx([seconds("TT_match_response")] * (int(tries) - 1))
    # Runs are repeated after TT_matching_rate until TT_matching_repetition has passed.
    run_starts = requests[::int(tries)]
    assert run_starts[-1] - run_starts[0] <= seconds("TT_matching_repetition")
    gave_up = bench.vars("car1.main", "state")[-1]
    assert gave_up.value == "UNMATCHED"
    assert gave_up.t - run_starts[0] <= seconds("TT_matching_repetition") + 1
    assert bench.first_time("car1.main", "dlink_ready", True) is None


def test_an_evse_whose_car_never_speaks_asks_for_the_error_routine(slac_bench: Bench) -> None:
    bench = slac_bench(1)
    bench.call("evse1", "main", "enter_bcd")
    entered = bench.env.now
    bench.advance(25)
    rows = bench.vars("evse1.main", "request_error_routine")
    assert [r.t - entered for r in rows] == pytest.approx([20.0])  # slac_init_timeout_s


def test_an_evse_whose_car_stops_after_the_parameters_gives_up_within_the_sequence_timeout(
        slac_bench: Bench) -> None:
    bench = slac_bench(1)
    bench.call("evse1", "main", "enter_bcd")
    bench.call("plc", "ev", "send_frame", port=1,
               frame=frames.slac_parm_req(ev_mac(1), bytes(8)).hex())
    bench.advance(2)
    states = [(r.t, r.value) for r in bench.vars("evse1.main", "state")]
    assert [s for _, s in states] == ["UNMATCHED", "MATCHING", "UNMATCHED"]
    assert states[2][0] - states[1][0] == pytest.approx(seconds("TT_match_sequence"), abs=0.01)


def test_unplugging_drops_the_link_and_changes_the_key(slac_bench: Bench) -> None:
    bench = slac_bench(1)
    plug_and_match(bench, [1])
    keys_before = names(sent(bench, "evse1")).count("CM_SET_KEY.REQ")
    assert bench.call("evse1", "main", "leave_bcd") is True
    bench.call("car1", "main", "reset")
    bench.advance(1)
    assert bench.last("evse1.main", "state") == "UNMATCHED"
    assert bench.last("evse1.main", "dlink_ready") is False
    assert bench.last("car1.main", "dlink_ready") is False
    assert names(sent(bench, "evse1")).count("CM_SET_KEY.REQ") == keys_before + 1
    # Plugged in again: a new match with the new key.
    plug_and_match(bench, [1])
    assert bench.last("evse1.main", "state") == "MATCHED"
    keys = [d["fields"]["NMK"] for _, d in sent(bench, "evse1")
            if d["message"] == "CM_SLAC_MATCH.CNF"]
    assert len(keys) == 2 and keys[0] != keys[1]


def test_the_slac_commands_answer_as_everests_do(slac_bench: Bench) -> None:
    bench = slac_bench(1)
    assert bench.call("evse1", "main", "leave_bcd") is False  # no car to leave
    assert bench.call("evse1", "main", "dlink_pause") is False  # nothing matched
    plug_and_match(bench, [1])
    assert bench.call("evse1", "main", "enter_bcd") is False  # already there
    assert bench.call("car1", "main", "trigger_matching") is False  # already matched
    assert bench.call("evse1", "main", "dlink_pause") is True
    assert bench.call("evse1", "main", "dlink_error") is True
    assert bench.last("evse1.main", "state") == "UNMATCHED"
    bench.call("car1", "main", "reset")
    bench.call("car1", "main", "trigger_matching")
    bench.advance(4)
    assert bench.last("evse1.main", "state") == "MATCHED"  # dlink_error matched again
    bench.call("evse1", "main", "reset", enable=False)
    bench.call("car1", "main", "reset")
    bench.call("car1", "main", "trigger_matching")
    bench.advance(seconds("TT_matching_repetition") + 1)
    assert bench.last("car1.main", "state") == "UNMATCHED"  # a disabled EVSE does not answer


def test_malformed_frames_are_refused_and_matching_goes_on(slac_bench: Bench) -> None:
    bench = slac_bench(1)
    bench.call("evse1", "main", "enter_bcd")
    good = frames.slac_parm_req(ev_mac(1), bytes(8))
    for garbage in (good[:25], good[:14] + b"\x00" + good[15:],
                    good[:15] + b"\x34\x12" + good[17:]):  # truncated, version 0, MMTYPE
        bench.call("plc", "ev", "send_frame", port=1, frame=garbage.hex())
    bench.call("car1", "main", "trigger_matching")
    bench.advance(4)
    refusals = [r for r in bench.recorder.rows
                if r.kind == "log" and r.source == "evse1" and "refused" in r.value]
    assert len(refusals) == 3
    assert bench.last("evse1.main", "state") == "MATCHED"
    assert bench.exceptions() == []


def test_the_link_refuses_a_port_it_does_not_have(slac_bench: Bench) -> None:
    from charger.framework.bus import CommandError

    bench = slac_bench(1)
    with pytest.raises(CommandError, match="port 3"):
        bench.call("plc", "ev", "send_frame", port=3, frame=bytes(60).hex())


def test_the_same_seed_gives_the_same_timeline(slac_bench: Bench) -> None:
    runs = []
    for _ in range(2):
        bench = slac_bench(2, {"loss": 0.1, "crosstalk_db": 10}, seed=7)
        plug_and_match(bench, [1, 2])
        runs.append(bench.timeline_text())
    assert runs[0] == runs[1]


def test_station_document_builds(slac_bench: Bench) -> None:
    doc = slac_station_doc(1)
    assert set(doc["active_modules"]) == {"plc", "evse1", "car1"}


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(connectors=st.integers(2, 3), crosstalk_db=st.floats(5, 40), seed=st.integers(0, 99),
       delays=st.lists(st.floats(0, 1.5), min_size=3, max_size=3))
def test_cars_plugged_in_at_any_moment_match_their_own_evse(
        slac_bench: Bench, connectors: int, crosstalk_db: float, seed: int,
        delays: list[float]) -> None:
    bench = slac_bench(connectors, {"crosstalk_db": crosstalk_db}, seed=seed)

    def plug(n: int, delay: float):
        yield bench.env.timeout(delay)
        yield bench.bus.call("test", f"evse{n}", "main", "enter_bcd", {})
        yield bench.bus.call("test", f"car{n}", "main", "trigger_matching", {})

    for n in range(1, connectors + 1):
        bench.env.process(plug(n, delays[n - 1]))
    bench.advance(6)
    for n in range(1, connectors + 1):
        assert bench.last(f"car{n}.main", "ev_mac_address") == evse_mac(n).upper()
        assert bench.last(f"evse{n}.main", "ev_mac_address") == ev_mac(n).upper()


def test_the_reports_sequence_diagram_shows_the_exchange(slac_bench: Bench) -> None:
    from reports.sequence import messages

    bench = slac_bench(2, {"crosstalk_db": 15})
    plug_and_match(bench, [1, 2])
    slac = [m for m in messages(bench.recorder.events_frame()) if m.protocol == "SLAC"]
    first = [(m.sender, m.receiver, m.label) for m in slac[:2]]
    assert first == [("car", "EVSE", "CM_SLAC_PARM.REQ (port 1)"),
                     ("car", "EVSE", "CM_SLAC_PARM.REQ (port 2)")]  # crosstalk: both heard
    answers = {m.label for m in slac if m.sender == "EVSE"}
    assert {"CM_SLAC_MATCH.CNF (port 1)", "CM_SLAC_MATCH.CNF (port 2)"} <= answers
    assert not any("CM_ATTEN_PROFILE" in m.label or "CM_SET_KEY" in m.label for m in slac)
    assert all(":" in m.detail and "->" in m.detail for m in slac)


def test_an_evse_the_car_did_not_choose_gives_up_after_the_match_session_timeout(
        slac_bench: Bench) -> None:
    bench = slac_bench(2, {"crosstalk_db": 15})
    bench.call("evse2", "main", "enter_bcd")  # a car is there too, but does not talk yet
    plug_and_match(bench, [1], settle_s=seconds("TT_EVSE_match_session") + 3)
    assert bench.last("car1.main", "ev_mac_address") == evse_mac(1).upper()
    reported = [t for t, d in sent(bench, "evse2") if d["message"] == "CM_ATTEN_CHAR.IND"]
    states = [(r.t, r.value) for r in bench.vars("evse2.main", "state")]
    assert [s for _, s in states] == ["UNMATCHED", "MATCHING", "UNMATCHED"]
    assert len(reported) == 1  # the car acknowledged it: no repeat
    # Its report was acknowledged within a response time; from then it waited the session out.
    assert states[-1][0] - reported[0] == pytest.approx(seconds("TT_EVSE_match_session"),
                                                        abs=seconds("TT_match_response"))


def test_network_keys_are_seeded_unless_a_real_station_asks_for_random_ones(
        slac_bench: Bench) -> None:
    def key(random_keys: bool) -> str:
        doc = slac_station_doc(1)
        doc["active_modules"]["evse1"]["config"]["random_network_keys"] = random_keys
        bench = slac_bench(doc=doc, seed=5)
        bench.advance(0.1)
        return next(d["fields"]["NewKey"] for _, d in sent(bench, "evse1")
                    if d["message"] == "CM_SET_KEY.REQ")

    assert key(False) == key(False)
    assert key(True) != key(True)


def test_after_the_match_data_reaches_only_the_matched_evse(slac_bench: Bench) -> None:
    bench = slac_bench(2, {"crosstalk_db": 10})
    plug_and_match(bench, [1, 2])
    ipv6 = bytes.fromhex(evse_mac(1).replace(":", "") + ev_mac(1).replace(":", "") + "86dd")
    bench.call("plc", "ev", "send_frame", port=1, frame=(ipv6 + bytes(50)).hex())
    bench.advance(0.1)
    data = [v for _, v in bench.frames("evse") if "error" in v["decoded"]]
    assert [v["port"] for v in data] == [1]
    # Unplugged: the EVSE's fresh key ends the network, and the car's data goes nowhere.
    bench.call("evse1", "main", "leave_bcd")
    bench.advance(0.1)
    bench.call("plc", "ev", "send_frame", port=1, frame=(ipv6 + bytes(50)).hex())
    bench.advance(0.1)
    assert len([v for _, v in bench.frames("evse") if "error" in v["decoded"]]) == 1

"""Frames from outside are not to be trusted: garbage, damaged frames and well-formed SLAC
messages out of sequence (other run ids, unsolicited answers, odd group counts) thrown onto the
line during a matching never crash either side, and once they stop a car matches again."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charger.slac import frames
from tests.slac.conftest import SlacBench, ev_mac, evse_mac

STRANGER = "02:66:00:00:00:01"


LIVE = "the run id of the car's current matching run"
FrameMaker = Callable[[bytes], bytes]  # the live run id -> the frame to throw


def made(builder: Callable[..., bytes], *arguments: st.SearchStrategy) -> st.SearchStrategy:
    """A frame built when it is thrown, so that it can carry the run id live at that moment."""
    return st.tuples(*arguments).map(
        lambda args: lambda live: builder(*[live if a == LIVE else a for a in args]))


def hostile_frames() -> st.SearchStrategy[FrameMaker]:
    run = st.one_of(st.just(LIVE), st.binary(min_size=8, max_size=8))
    groups = st.lists(st.integers(0, 255), max_size=70)
    mac = st.sampled_from([ev_mac(1), evse_mac(1), STRANGER, frames.BROADCAST_MAC])
    byte = st.integers(0, 255)
    valid = st.one_of(
        made(frames.slac_parm_req, mac, run),
        made(frames.slac_parm_cnf, mac, mac, run, byte, byte),
        made(frames.start_atten_char_ind, mac, run, byte, byte),
        made(frames.mnbc_sound_ind, mac, run, byte, st.binary(min_size=16, max_size=16)),
        made(frames.atten_profile_ind, mac, mac, mac, groups),
        made(frames.atten_char_ind, mac, mac, run, byte, groups),
        made(frames.atten_char_rsp, mac, mac, run),
        made(frames.slac_match_req, mac, mac, run),
        made(frames.slac_match_cnf, mac, mac, run, st.binary(min_size=7, max_size=7),
             st.binary(min_size=16, max_size=16)),
        made(frames.set_key_cnf, mac, mac, st.integers(0, 2**32 - 1),
             st.integers(0, 2**32 - 1)),
    )
    damaged = st.tuples(valid, st.integers(14, 120), st.binary(max_size=40)).map(
        lambda t: lambda live: (t[0](live)[:t[1]] + t[2])[:1514])
    garbage = st.binary(min_size=14, max_size=200).map(lambda raw: lambda live: raw)
    return st.one_of(valid, damaged, garbage)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(attacks=st.lists(st.tuples(st.sampled_from(["ev", "evse"]), st.floats(0, 2.5),
                                  hostile_frames()), min_size=1, max_size=25))
def test_hostile_frames_never_crash_a_side_and_matching_recovers(
        slac_bench: Callable[..., SlacBench], attacks: list) -> None:
    bench = slac_bench(1)
    bench.call("evse1", "main", "enter_bcd")
    bench.call("car1", "main", "trigger_matching")

    car = bench.station.modules["car1"]

    def attack(side: str, at: float, make: FrameMaker):
        yield bench.env.timeout(at)
        live = car.inbox.run_id if car.inbox is not None else bytes(8)
        yield bench.bus.call("hostile", "plc", side, "send_frame", {"port": 1,
                                                                    "frame": make(live).hex()})

    for side, at, make in attacks:
        bench.env.process(attack(side, at, make))
    bench.advance(12)
    assert bench.exceptions() == []
    # Whatever the attack did to that matching, a fresh one works.
    bench.call("car1", "main", "reset")
    bench.call("evse1", "main", "dlink_error")
    bench.call("car1", "main", "trigger_matching")
    bench.advance(3)
    assert bench.last("car1.main", "state") == "MATCHED"
    assert bench.last("evse1.main", "ev_mac_address") == ev_mac(1).upper()
    assert bench.exceptions() == []


# Well-formed frames at the worst moment: (name, side it is thrown from, when after the car
# starts, frame made from the live run id).
TIMED_ATTACKS: list[tuple[str, str, float, FrameMaker]] = [
    ("a report without attenuation groups", "evse", 0.5,
     lambda run: frames.atten_char_ind(STRANGER, ev_mac(1), run, 10, [])),
    ("a stranger's report better than the real EVSE's", "evse", 0.5,
     lambda run: frames.atten_char_ind(STRANGER, ev_mac(1), run, 10, [0] * 58)),
    ("a profile with three groups", "ev", 0.3,
     lambda run: frames.atten_profile_ind(frames.LOCAL_MODEM_MAC, evse_mac(1), ev_mac(1),
                                          [5, 5, 5])),
    ("an announcement of no sounds", "ev", 0.005,
     lambda run: frames.start_atten_char_ind(ev_mac(1), run, 0, 0)),
    ("a stranger's confirmation of the match", "evse", 1.21,
     lambda run: frames.slac_match_cnf(STRANGER, ev_mac(1), run, bytes(7), bytes(16))),
    ("a match request naming another EVSE", "ev", 1.2,
     lambda run: _to_evse(frames.slac_match_req(ev_mac(1), STRANGER, run))),
    ("the car's parameters again in the middle of its run", "ev", 0.4,
     lambda run: frames.slac_parm_req(ev_mac(1), run)),
]


def _to_evse(raw: bytes) -> bytes:
    """The same frame addressed to the real EVSE (while its body names another)."""
    return bytes.fromhex(evse_mac(1).replace(":", "")) + raw[6:]


@pytest.mark.parametrize("attack", TIMED_ATTACKS, ids=[a[0] for a in TIMED_ATTACKS])
def test_a_frame_at_the_worst_moment_is_survived(
        slac_bench: Callable[..., SlacBench], attack: tuple) -> None:
    _, side, at, make = attack
    bench = slac_bench(1)
    bench.call("evse1", "main", "enter_bcd")
    bench.call("car1", "main", "trigger_matching")
    car = bench.station.modules["car1"]
    bench.advance(at)
    bench.call("plc", side, "send_frame", port=1, frame=make(car.inbox.run_id).hex())
    bench.advance(12)
    assert bench.exceptions() == []
    assert bench.last("car1.main", "ev_mac_address") == evse_mac(1).upper()
    assert bench.last("evse1.main", "ev_mac_address") == ev_mac(1).upper()

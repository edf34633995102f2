"""The simulated power line and modems (PlcChannel): who hears what, and what the modems add."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from charger.slac import frames
from sim.hal.plc_channel import EV, EVSE, ChannelSettings, PlcChannel, modem_mac

CAR = "02:ee:00:00:00:01"
HOST = "02:cc:00:00:00:02"


def sound() -> bytes:
    return frames.mnbc_sound_ind(CAR, bytes(8), 9, bytes(16))


@settings(max_examples=60, deadline=None)
@given(connectors=st.integers(1, 4), direct=st.floats(0, 80), crosstalk=st.floats(0, 40),
       noise=st.floats(0, 3), seed=st.integers(0, 1000), data=st.data())
def test_each_evse_modem_reports_the_attenuation_of_its_path(
        connectors: int, direct: float, crosstalk: float, noise: float, seed: int,
        data: st.DataObject) -> None:
    channel = PlcChannel(ChannelSettings(connectors, direct_db=direct, crosstalk_db=crosstalk,
                                         unheard_db=90, group_noise_db=noise, group_slope_db=6),
                         random.Random(seed))
    port = data.draw(st.integers(1, connectors))
    deliveries = channel.carry(EV, port, sound())
    profiles = {d.port: frames.parse_frame(d.frame) for d in deliveries
                if frames.parse_frame(d.frame).name == "CM_ATTEN_PROFILE.IND"}
    sounds = [d.port for d in deliveries if frames.parse_frame(d.frame).name ==
              "CM_MNBC_SOUND.IND"]
    heard = [evse for evse in range(1, connectors + 1)
             if direct + crosstalk * abs(port - evse) <= 90]
    assert sorted(profiles) == sorted(sounds) == heard
    assert all(d.side == EVSE for d in deliveries)
    for evse, profile in profiles.items():
        path = direct + crosstalk * abs(port - evse)
        groups = profile.fields["Groups"]
        assert len(groups) == frames.ATTEN_GROUPS
        assert profile.fields["EVMACAddress"] == CAR and profile.src == modem_mac(EVSE, evse)
        assert all(abs(g - (path + 6 * i / 57)) <= noise + 0.5
                   for i, g in enumerate(groups) if 0 < g < 255)


def test_a_key_is_confirmed_by_the_senders_own_modem_and_never_crosses() -> None:
    channel = PlcChannel(ChannelSettings(2), random.Random(0))
    request = frames.set_key_req(HOST, bytes(7), bytes(range(16)), nonce=77)
    (reply,) = channel.carry(EVSE, 2, request)
    cnf = frames.parse_frame(reply.frame)
    assert (reply.side, reply.port, cnf.name, cnf.dst) == (EVSE, 2, "CM_SET_KEY.CNF", HOST)
    assert cnf.fields["YourNonce"] == 77 and cnf.fields["Result"] == 0
    assert channel.keys[(EVSE, 2)] == bytes(range(16))


def test_profiles_go_to_the_host_the_modem_learnt() -> None:
    channel = PlcChannel(ChannelSettings(1), random.Random(0))
    channel.carry(EVSE, 1, frames.set_key_req(HOST, bytes(7), bytes(16), nonce=1))
    profile = [d for d in channel.carry(EV, 1, sound()) if d.frame != sound()][0]
    assert frames.parse_frame(profile.frame).dst == HOST


def test_everything_is_lost_at_loss_one_and_nothing_at_zero() -> None:
    channel = PlcChannel(ChannelSettings(3, loss=1.0), random.Random(0))
    assert channel.carry(EV, 2, sound()) == []
    channel.loss = 0.0
    assert len(channel.carry(EV, 2, sound())) == 6  # the sound and a profile at each EVSE


def test_data_travels_only_inside_a_logical_network() -> None:
    channel = PlcChannel(ChannelSettings(2, crosstalk_db=10), random.Random(0))
    data = bytes.fromhex("02cc0000000102ee0000000186dd") + bytes(50)  # an IPv6 frame
    assert channel.carry(EV, 1, data) == []  # no key yet: no network
    nmk = bytes(range(16))
    for side, port, key in ((EV, 1, nmk), (EVSE, 1, nmk), (EVSE, 2, bytes(16))):
        channel.carry(side, port, frames.set_key_req(HOST, bytes(7), key, nonce=1))
    (delivery,) = channel.carry(EV, 1, data)  # EVSE 2 hears the line but is another network
    assert (delivery.side, delivery.port, delivery.frame) == (EVSE, 1, data)
    assert len(channel.carry(EV, 1, sound())) == 4  # SLAC crosses networks: sound + profile x2

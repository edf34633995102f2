"""The standards' timeouts, in each phase, read from the declared table; timing is checked on
the virtual clock of the recorded messages and events."""

from __future__ import annotations

import pytest

from charger.iso15118.timeouts import TIMERS, TimeoutConfigError, Timeouts
from tests.v2g_session.doubles import connect_dropping, make_run

DC_REQUESTS = ["SessionSetupReq", "ServiceDiscoveryReq", "PaymentServiceSelectionReq",
               "AuthorizationReq", "ChargeParameterDiscoveryReq", "CableCheckReq",
               "PreChargeReq", "PowerDeliveryReq", "CurrentDemandReq", "WeldingDetectionReq",
               "SessionStopReq"]


def test_profiles_scale_and_overrides() -> None:
    strict, lenient = Timeouts("strict"), Timeouts("lenient")
    for name, timer in TIMERS.items():
        assert strict[name] == timer.strict_s
        assert lenient[name] == timer.lenient_s >= timer.strict_s
    assert strict["sequence"] == 60 and strict["msg_loop"] == 0.25
    assert strict.response("PowerDeliveryReq") == 5 and strict.response("CableCheckReq") == 2
    assert Timeouts("strict", scale=4)["msg_loop"] == 1.0
    assert Timeouts(overrides={"ev_pre_charge": 9})["ev_pre_charge"] == 9


@pytest.mark.parametrize("bad", [{"profile": "fast"}, {"scale": 0},
                                 {"overrides": {"nope": 1}},
                                 {"overrides": {"sequence": -1}}])
def test_bad_timeout_settings_are_refused(bad: dict) -> None:
    with pytest.raises(TimeoutConfigError):
        Timeouts(**bad)


@pytest.mark.parametrize("profile", ["strict", "lenient"])
@pytest.mark.parametrize("silent_before", DC_REQUESTS[1:])
def test_secc_sequence_timeout_in_each_phase(profile: str, silent_before: str) -> None:
    """The car goes quiet before a request: the SECC ends the session after
    V2G_SECC_Sequence_Timeout from the last request it received."""
    evcc = {"fault": "silent_before", "fault_message": silent_before}
    run = make_run("DC_extended", ("iso2",), profile=profile, evcc=evcc)
    run.connect()
    if silent_before in ("WeldingDetectionReq", "SessionStopReq"):
        run.env.process(_stop_at(run, 10))
    run.run(until=400)
    last = max(r.time for r in run.records if r.direction == "rx")
    ended = run.time_of("session_finished")
    assert run.secc_reason.startswith("timeout: no request after")
    assert ended - last == pytest.approx(Timeouts(profile)["sequence"])
    assert run.names("rx")[-1] != silent_before


def _stop_at(run, t):
    yield run.env.timeout(t)
    run.evcc.stop_charging()


def test_secc_communication_setup_timeout() -> None:
    run = make_run("DC_extended", ("din",), evcc={"fault": "silent_before",
                                                  "fault_message": "SessionSetupReq"})
    run.connect()
    run.run(until=100)
    assert run.secc_reason.startswith("timeout: no session set up")
    assert run.time_of("session_finished") == pytest.approx(20.0)


@pytest.mark.parametrize("lost", ["SessionSetupRes", "ServiceDiscoveryRes", "AuthorizationRes",
                                  "ChargeParameterDiscoveryRes", "CableCheckRes", "PreChargeRes",
                                  "PowerDeliveryRes", "CurrentDemandRes", "WeldingDetectionRes"])
def test_evcc_response_timeout_for_each_message(lost: str) -> None:
    run = make_run("DC_extended", ("iso2",))
    connect_dropping(run, {lost})
    run.env.process(_stop_at(run, 8))
    run.run(until=100)
    request = lost[:-3] + "Req"
    sent = [r.time for r in run.ev_records if r.name == request and r.direction == "tx"][0]
    ended = run.time_of("session_finished", "evcc")
    assert run.evcc_reason == f"timeout: no response to {request} within " \
        f"{Timeouts().response(request):g} s"
    assert ended - sent == pytest.approx(Timeouts().response(request))


def test_ac_loop_timeout_is_a_quarter_second() -> None:
    run = make_run("AC_three_phase_core", ("iso2",))
    connect_dropping(run, {"ChargingStatusRes"})
    run.run(until=30)
    sent = [r.time for r in run.ev_records if r.name == "ChargingStatusReq"][0]
    assert run.time_of("session_finished", "evcc") - sent == pytest.approx(0.25)


@pytest.mark.parametrize("profile", ["strict", "lenient"])
def test_evcc_ongoing_timeout_when_authorization_never_comes(profile: str) -> None:
    run = make_run("AC_three_phase_core", ("iso2",), profile=profile, charger={"auth": None})
    run.connect()
    run.run(until=300)
    first = [r.time for r in run.ev_records if r.name == "AuthorizationReq"][0]
    ended = run.time_of("session_finished", "evcc")
    assert run.evcc_reason.startswith("timeout: authorization not finished")
    limit = Timeouts(profile)["ev_ongoing"]
    assert limit < ended - first <= limit + 0.5 + 0.01  # checked at each Ongoing answer


def test_evcc_cable_check_timeout() -> None:
    run = make_run("DC_extended", ("din",), charger={"cable_check_ok": None})
    run.connect()
    run.run(until=100)
    first = [r.time for r in run.ev_records if r.name == "CableCheckRes"][0]
    assert run.evcc_reason.startswith("timeout: cable_check not finished within 40 s")
    assert 40 < run.time_of("session_finished", "evcc") - first <= 40.6


def test_evcc_pre_charge_timeout() -> None:
    run = make_run("DC_extended", ("iso2",), charger={"reaches_target": False})
    run.connect()
    run.run(until=100)
    first = [r.time for r in run.ev_records if r.name == "PreChargeRes"][0]
    assert run.evcc_reason.startswith("timeout: pre_charge not finished within 7 s")
    assert 7 < run.time_of("session_finished", "evcc") - first <= 7.2


def test_a_slow_charger_passes_in_the_lenient_profile_only() -> None:
    """A charger taking 0.5 s per loop response: the strict car gives up, the lenient one
    charges on."""
    outcomes = {}
    for profile in ("strict", "lenient"):
        run = make_run("DC_extended", ("iso2",), profile=profile)
        run.connect()
        secc_session = run.sessions[0][0]
        original = secc_session.send_body

        def slow_send(body, env=run.env, send=original):
            if type(body).__name__ == "CurrentDemandResType":
                env.timeout(0.5).callbacks.append(lambda _e: send(body))
            else:
                send(body)
        secc_session.send_body = slow_send
        run.env.process(_stop_at(run, 20))
        run.run(until=60)
        outcomes[profile] = run.evcc_reason
    assert outcomes["strict"].startswith("timeout: no response to CurrentDemandReq")
    assert outcomes["lenient"] == "stopped by the car"

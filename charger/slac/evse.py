"""EvseSlac: the charger's side of SLAC (ISO 15118-3) for one connector.

Once the EVSE manager reports a car on the pilot (``enter_bcd``), it answers every car that
starts a matching run (``CM_SLAC_PARM.REQ``) with the sounding parameters, sums the attenuation
profiles its modem reports for that car's sounds, tells the car the average
(``CM_ATTEN_CHAR.IND``) and, if the car chooses this EVSE (``CM_SLAC_MATCH.REQ``), hands over the
network key (``CM_SLAC_MATCH.CNF``): state MATCHED, ``dlink_ready`` true.

With several cars plugged in, neighbouring EVSEs hear each car through crosstalk; each EVSE runs
one session per car that asks (keyed by the car's MAC) and the car picks the EVSE it heard best.
Sessions that are not chosen time out (TT_EVSE_match_session) without disturbing the others.
All counts and timeouts come from the timing table (``charger.slac.timing``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Generator
from dataclasses import dataclass

import simpy

from charger.framework import command
from charger.slac import frames
from charger.slac.endpoint import Inbox, SlacEndpoint
from charger.slac.frames import SlacFrame
from charger.slac.timing import timeout_100ms


class MatchingFailed(Exception):
    """One car's matching run ended without a match; the text says at which step."""


@dataclass
class Session:
    ev_mac: str
    inbox: Inbox
    process: simpy.Process | None = None


class EvseSlac(SlacEndpoint):
    def init(self) -> None:
        super().init()
        self.enabled = True
        self.car_present = False
        self.state = "UNMATCHED"
        self.sessions: dict[str, Session] = {}
        self.matched: Session | None = None
        self.nmk = b""
        self._init_timer: simpy.Process | None = None
        self._match_cnf: bytes | None = None
        # What each frame means to this side: one route per message (the rest is ignored).
        self._routes: dict[str, Callable[[SlacFrame], None]] = {
            "CM_SET_KEY.CNF": lambda frame: self.key_confirmed(),
            "CM_SLAC_PARM.REQ": self._on_slac_parm_req,
            "CM_ATTEN_PROFILE.IND": lambda frame: self._to_session(
                frame.fields["EVMACAddress"], frame),
            "CM_START_ATTEN_CHAR.IND": lambda frame: self._to_session(frame.src, frame),
            "CM_ATTEN_CHAR.RSP": lambda frame: self._to_session(frame.src, frame),
            "CM_SLAC_MATCH.REQ": self._on_match_req,
        }

    def ready(self) -> None:
        self._publish_state()
        self.publish("main", "dlink_ready", False)
        self._leave_network()

    # --- the slac interface ----------------------------------------------------------------
    @command("main", "reset")
    def reset(self, enable: bool) -> None:
        self._stop_init_timer()
        self._drop_link()
        self.enabled = enable
        self._leave_network()
        if enable and self.car_present:
            self._start_init_timer()

    @command("main", "enter_bcd")
    def enter_bcd(self) -> bool:
        if self.car_present:
            return False
        self.car_present = True
        if self.enabled:
            self._start_init_timer()
        return True

    @command("main", "leave_bcd")
    def leave_bcd(self) -> bool:
        if not self.car_present:
            return False
        self.car_present = False
        self._stop_init_timer()
        self._drop_link()
        self._leave_network()
        return True

    @command("main", "dlink_terminate")
    def dlink_terminate(self) -> bool:
        self._stop_init_timer()
        self._drop_link()
        self._leave_network()
        return True

    @command("main", "dlink_error")
    def dlink_error(self) -> bool:
        self._drop_link()
        self._leave_network()
        if self.car_present and self.enabled:
            self._start_init_timer()
        return True

    @command("main", "dlink_pause")
    def dlink_pause(self) -> bool:
        return self.state == "MATCHED"  # power saving keeps the match; nothing to switch here

    # --- frames ----------------------------------------------------------------------------
    def on_frame(self, frame: SlacFrame) -> None:
        route = self._routes.get(frame.name)
        if route is not None:
            route(frame)

    def _on_slac_parm_req(self, frame: SlacFrame) -> None:
        if not (self.enabled and self.car_present):
            return  # no car on this pilot: a car elsewhere is not ours to answer
        if self.matched is not None and frame.src != self.matched.ev_mac:
            return
        if self.matched is not None:  # our car starts over: the old link is gone
            self._drop_link()
        old = self.sessions.pop(frame.src, None)
        if old is not None and old.process is not None and old.process.is_alive:
            old.process.interrupt("restarted")
        session = Session(frame.src, Inbox(self.env, frame.bytes_of("RunID")))
        self.sessions[frame.src] = session
        session.process = self.start(self._run_session(session))

    def _to_session(self, ev_mac: str, frame: SlacFrame) -> None:
        session = self.sessions.get(ev_mac)
        if session is not None:
            session.inbox.put(frame)

    def _on_match_req(self, frame: SlacFrame) -> None:
        matched = self.matched
        if (matched is not None and frame.src == matched.ev_mac and self._match_cnf
                and frame.fields["RunID"] == matched.inbox.run_id.hex()):
            self.send(self._match_cnf)  # the car did not get our confirmation: repeat it
            return
        self._to_session(frame.src, frame)

    # --- one car's matching run -----------------------------------------------------------
    def _run_session(self, session: Session) -> Generator:
        try:
            yield from self._match(session)
        except MatchingFailed as failure:
            self.log("info", f"port {self.port}: matching with {session.ev_mac} failed: "
                     f"{failure}")
        finally:
            if self.sessions.get(session.ev_mac) is session and self.matched is not session:
                del self.sessions[session.ev_mac]
            if self.matched is None:
                self._set_state("MATCHING" if self.sessions else "UNMATCHED")

    def _match(self, session: Session) -> Generator:
        run_id = session.inbox.run_id
        sounds = self.count("C_EV_match_MNBC")
        window_s = self.seconds("TT_EVSE_match_MNBC")
        self._set_state("MATCHING")
        self.send(frames.slac_parm_cnf(self.mac, session.ev_mac, run_id, sounds,
                                       timeout_100ms(window_s)))
        start = yield from session.inbox.expect({"CM_START_ATTEN_CHAR.IND"},
                                                self.seconds("TT_match_sequence"))
        if start is None:
            raise MatchingFailed("no CM_START_ATTEN_CHAR.IND within TT_match_sequence")
        expected = min(sounds, start.fields["NumberOfSounds"]) or sounds
        profile = yield from self._collect_sounds(session, expected, window_s)
        yield from self._report_attenuation(session, profile)
        request = yield from session.inbox.expect({"CM_SLAC_MATCH.REQ"},
                                                  self.seconds("TT_EVSE_match_session"))
        if request is None:
            raise MatchingFailed("no CM_SLAC_MATCH.REQ within TT_EVSE_match_session "
                                 "(the car chose another EVSE)")
        if request.fields["EVSEMAC"] != self.mac:
            raise MatchingFailed(f"CM_SLAC_MATCH.REQ names EVSE {request.fields['EVSEMAC']}")
        self._match_cnf = frames.slac_match_cnf(self.mac, session.ev_mac, run_id,
                                                frames.nid_from_nmk(self.nmk), self.nmk)
        self.send(self._match_cnf)
        self._matched(session)

    def _collect_sounds(self, session: Session, expected: int, window_s: float) -> Generator:
        """The average attenuation per group over the sounds heard within the window."""
        deadline = self.env.now + window_s
        totals: list[int] = []
        heard = 0
        while heard < expected:
            report = yield from session.inbox.expect({"CM_ATTEN_PROFILE.IND"},
                                                     deadline - self.env.now)
            if report is None:
                break
            groups = report.fields["Groups"]
            totals = [a + b for a, b in zip(totals, groups)] if totals else list(groups)
            heard += 1
        if heard == 0:
            raise MatchingFailed("no sound heard within TT_EVSE_match_MNBC")
        return heard, [round(total / heard) for total in totals]

    def _report_attenuation(self, session: Session, profile: tuple[int, list[int]]) -> Generator:
        heard, groups = profile
        report = frames.atten_char_ind(self.mac, session.ev_mac, session.inbox.run_id, heard,
                                       groups)
        for _ in range(1 + self.count("C_EV_match_retry")):
            self.send(report)
            answer = yield from session.inbox.expect({"CM_ATTEN_CHAR.RSP"},
                                                     self.seconds("TT_match_response"))
            if answer is not None:
                return
        # The car may have heard us all the same; its CM_SLAC_MATCH.REQ decides.
        self.log("warning", f"port {self.port}: no CM_ATTEN_CHAR.RSP from {session.ev_mac}")

    # --- link state ------------------------------------------------------------------------
    def _matched(self, session: Session) -> None:
        self.matched = session
        for other in list(self.sessions.values()):
            if other is not session and other.process is not None and other.process.is_alive:
                other.process.interrupt("another car matched")
        self.sessions = {session.ev_mac: session}
        self._stop_init_timer()
        self._set_state("MATCHED")
        self.publish("main", "ev_mac_address", session.ev_mac.upper())
        self.publish("main", "dlink_ready", True)

    def _drop_link(self) -> None:
        for session in list(self.sessions.values()):
            if session.process is not None and session.process.is_alive:
                session.process.interrupt("link dropped")
        self.sessions = {}
        was_matched = self.matched is not None
        self.matched = None
        self._match_cnf = None
        self._set_state("UNMATCHED")
        if was_matched:
            self.publish("main", "dlink_ready", False)

    def _leave_network(self) -> None:
        """A fresh network key for the next car (the only way to leave a logical network)."""
        # Seeded keys make a simulated run repeatable; a real station's must not be guessable.
        self.nmk = (secrets.token_bytes(frames.NMK_BYTES) if self.config["random_network_keys"]
                    else self.rng.randbytes(frames.NMK_BYTES))
        self.start(self.join_network(self.nmk))

    def _start_init_timer(self) -> None:
        self._stop_init_timer()
        self._init_timer = self.start(self._wait_for_car(self.config["slac_init_timeout_s"]))

    def _stop_init_timer(self) -> None:
        if self._init_timer is not None and self._init_timer.is_alive:
            self._init_timer.interrupt("stopped")
        self._init_timer = None

    def _wait_for_car(self, timeout_s: float) -> Generator:
        yield self.env.timeout(timeout_s)
        self._init_timer = None
        if self.matched is None:
            self.log("warning", f"port {self.port}: no match within TT_EVSE_SLAC_init "
                     f"({timeout_s:g} s)")
            self.publish("main", "request_error_routine", None)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self._publish_state()

    def _publish_state(self) -> None:
        self.publish("main", "state", self.state)

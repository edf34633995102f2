"""SimEvSlac: the car's side of SLAC (ISO 15118-3), a module of its own beside the car.

``trigger_matching`` starts a matching run: CM_SLAC_PARM.REQ (broadcast, repeated if no EVSE
answers), three CM_START_ATTEN_CHAR.IND and ten sounds, then it collects the attenuation reports
of every EVSE that heard it (acknowledging each), picks the one with the lowest average
attenuation (its own connector's, when crosstalk reaches others), asks it to match and gives
its modem the network key it got. A failed run is repeated after TT_matching_rate until
TT_matching_repetition has passed; then the car stays UNMATCHED.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

import simpy

from charger.framework import command
from charger.slac import frames
from charger.slac.endpoint import Inbox, SlacEndpoint
from charger.slac.frames import SlacFrame
from charger.slac.timing import timeout_100ms


@dataclass(frozen=True)
class EvseHeard:
    mac: str
    attenuation_db: float  # average over the carrier groups the EVSE reported


class SimEvSlac(SlacEndpoint):
    def init(self) -> None:
        super().init()  # batch_interval_s: the manifest bounds it by the standard's range
        self.state = "UNMATCHED"
        self.inbox: Inbox | None = None
        self.matching: simpy.Process | None = None
        self.evse_mac: str | None = None
        self._routes: dict[str, Callable[[SlacFrame], None]] = {
            "CM_SET_KEY.CNF": lambda frame: self.key_confirmed(),
            "CM_SLAC_PARM.CNF": self._to_run,
            "CM_ATTEN_CHAR.IND": self._to_run,
            "CM_SLAC_MATCH.CNF": self._to_run,
        }

    def ready(self) -> None:
        self.publish("main", "state", self.state)
        self.publish("main", "dlink_ready", False)

    # --- the ev_slac interface -------------------------------------------------------------
    @command("main", "trigger_matching")
    def trigger_matching(self) -> bool:
        if self.state != "UNMATCHED":
            return False
        self._set_state("MATCHING")
        self.matching = self.start(self._match_with_repetition())
        return True

    @command("main", "reset")
    def reset(self) -> None:
        if self.matching is not None and self.matching.is_alive:
            self.matching.interrupt("reset")
        self.matching = None
        self.inbox = None
        if self.state == "MATCHED":
            self.publish("main", "dlink_ready", False)
        self.evse_mac = None
        self._set_state("UNMATCHED")

    # --- frames ----------------------------------------------------------------------------
    def on_frame(self, frame: SlacFrame) -> None:
        route = self._routes.get(frame.name)
        if route is not None:
            route(frame)

    def _to_run(self, frame: SlacFrame) -> None:
        if self.inbox is None:
            return
        if frame.name == "CM_ATTEN_CHAR.IND" and frame.fields["RunID"] == self.inbox.run_id.hex():
            # Acknowledge every report of this run at once, repeats included [ISO 15118-3 A.9].
            self.send(frames.atten_char_rsp(self.mac, frame.src, self.inbox.run_id))
        self.inbox.put(frame)

    # --- matching --------------------------------------------------------------------------
    def _match_with_repetition(self) -> Generator:
        give_up_at = self.env.now + self.seconds("TT_matching_repetition")
        attempt = 0
        while True:
            attempt += 1
            self.inbox = Inbox(self.env, self.new_run_id())
            failure = yield from self._run(self.inbox)
            if failure is None:
                return
            self.log("info", f"port {self.port}: matching run {attempt} failed: {failure}")
            if self.env.now + self.seconds("TT_matching_rate") >= give_up_at:
                break
            yield self.env.timeout(self.seconds("TT_matching_rate"))
        self.inbox = None
        self.log("warning", f"port {self.port}: no match within TT_matching_repetition")
        self._set_state("UNMATCHED")

    def _run(self, inbox: Inbox) -> Generator:
        """One matching run; None when matched, else why it failed."""
        run_id = inbox.run_id
        retries = self.count("C_EV_match_retry")
        response_s = self.seconds("TT_match_response")
        answered = False
        for _ in range(1 + retries):
            self.send(frames.slac_parm_req(self.mac, run_id))
            if (yield from inbox.expect({"CM_SLAC_PARM.CNF"}, response_s)) is not None:
                answered = True
                break
        if not answered:
            return "no CM_SLAC_PARM.CNF"
        heard = yield from self._sound(inbox)
        if not heard:
            return "no CM_ATTEN_CHAR.IND within TT_EV_atten_results"
        best = min(heard, key=lambda evse: evse.attenuation_db)
        self.log("info", f"port {self.port}: chose {best.mac} at {best.attenuation_db:.1f} dB of "
                 + ", ".join(f"{e.mac} {e.attenuation_db:.1f} dB" for e in heard))
        for _ in range(1 + retries):
            self.send(frames.slac_match_req(self.mac, best.mac, run_id))
            confirmed = yield from inbox.expect({"CM_SLAC_MATCH.CNF"}, response_s)
            if confirmed is not None and confirmed.src == best.mac:
                break
        else:
            return "no CM_SLAC_MATCH.CNF"
        joined = yield from self.join_network(confirmed.bytes_of("NMK"),
                                              within_s=self.seconds("TT_match_join") /
                                              (1 + retries))
        if not joined:
            return "the modem did not join the network within TT_match_join"
        self.evse_mac = best.mac
        self._set_state("MATCHED")
        self.publish("main", "ev_mac_address", best.mac.upper())
        self.publish("main", "dlink_ready", True)
        return None

    def _sound(self, inbox: Inbox) -> Generator:
        """Announce and send the sounds, then gather the EVSEs' reports until
        TT_EV_atten_results after the first announcement."""
        interval = self.config["batch_interval_s"]
        sounds = self.count("C_EV_match_MNBC")
        window = timeout_100ms(self.seconds("TT_EVSE_match_MNBC"))
        results_at = self.env.now + self.seconds("TT_EV_atten_results")
        for _ in range(self.count("C_EV_start_atten_char_inds")):
            self.send(frames.start_atten_char_ind(self.mac, inbox.run_id, sounds, window))
            yield self.env.timeout(interval)
        for countdown in range(sounds - 1, -1, -1):
            self.send(frames.mnbc_sound_ind(self.mac, inbox.run_id, countdown,
                                            self.rng.randbytes(16)))
            yield self.env.timeout(interval)
        heard: dict[str, EvseHeard] = {}
        while True:
            report = yield from inbox.expect({"CM_ATTEN_CHAR.IND"}, results_at - self.env.now)
            if report is None:
                return list(heard.values())
            groups = report.fields["Groups"]
            if groups and report.fields["SourceAdress"] == self.mac:
                heard[report.src] = EvseHeard(report.src, sum(groups) / len(groups))

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.publish("main", "state", state)

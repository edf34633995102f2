"""The counts, timeouts and retries of SLAC (ISO 15118-3, Table A.1 and clause 9), declared once.

Both sides, the docs (``docs/slac.md``) and the tests read this table. A value with a range in
the standard carries it (``minimum``/``maximum``); the value given is the one this workbench uses
unless a module's configuration overrides it (``EvseSlac``'s ``slac_init_timeout_s``,
``SimEvSlac``'s ``batch_interval_s``), which is then checked against the range.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlacParameter:
    name: str
    value: float
    unit: str  # "s" or "count"
    side: str  # whose timer or counter it is: "EV", "EVSE" or "both"
    description: str
    minimum: float | None = None
    maximum: float | None = None

    def check(self, value: float) -> str | None:
        """Why ``value`` is outside the standard's range for this parameter, or None."""
        if self.minimum is not None and value < self.minimum:
            return f"{self.name} = {value:g} {self.unit} is below the standard's {self.minimum:g}"
        if self.maximum is not None and value > self.maximum:
            return f"{self.name} = {value:g} {self.unit} is above the standard's {self.maximum:g}"
        return None


SLAC_PARAMETERS: tuple[SlacParameter, ...] = (
    SlacParameter("C_EV_match_MNBC", 10, "count", "EV",
                  "sounds (CM_MNBC_SOUND.IND) the EV sends, and the EVSE asks for"),
    SlacParameter("C_EV_start_atten_char_inds", 3, "count", "EV",
                  "times the EV sends CM_START_ATTEN_CHAR.IND"),
    SlacParameter("C_EV_match_retry", 2, "count", "both",
                  "repetitions of a request that got no answer within TT_match_response "
                  "(CM_SLAC_PARM.REQ, CM_SLAC_MATCH.REQ by the EV; CM_ATTEN_CHAR.IND by the EVSE)"),
    SlacParameter("TP_EV_batch_msg_interval", 0.02, "s", "EV",
                  "pause between the EV's CM_START_ATTEN_CHAR.IND and CM_MNBC_SOUND.IND "
                  "messages", 0.02, 0.05),
    SlacParameter("TT_match_response", 0.2, "s", "both",
                  "time to wait for the answer to a request before repeating it"),
    SlacParameter("TT_match_sequence", 0.4, "s", "EVSE",
                  "the EVSE waits this long for the next message of the sequence "
                  "(CM_START_ATTEN_CHAR.IND after CM_SLAC_PARM.CNF)"),
    SlacParameter("TT_EVSE_match_MNBC", 0.6, "s", "EVSE",
                  "the EVSE collects sounds this long after the first CM_START_ATTEN_CHAR.IND "
                  "(sent to the EV as TIME_OUT in units of 100 ms)"),
    SlacParameter("TT_EV_atten_results", 1.2, "s", "EV",
                  "the EV collects CM_ATTEN_CHAR.IND this long after its first "
                  "CM_START_ATTEN_CHAR.IND"),
    SlacParameter("TT_EVSE_match_session", 10.0, "s", "EVSE",
                  "the EVSE waits this long for CM_SLAC_MATCH.REQ after the attenuation report"),
    SlacParameter("TT_EVSE_SLAC_init", 50.0, "s", "EVSE",
                  "after the car appears on the pilot (state B), the EVSE waits this long for "
                  "CM_SLAC_PARM.REQ before it reports the matching failed", 20.0, 50.0),
    SlacParameter("TT_match_join", 12.0, "s", "EV",
                  "after CM_SLAC_MATCH.CNF the EV's modem must have joined the EVSE's logical "
                  "network (CM_SET_KEY.REQ confirmed) within this time"),
    SlacParameter("TT_matching_rate", 0.4, "s", "EV",
                  "pause before the EV starts a new matching run after a failed one"),
    SlacParameter("TT_matching_repetition", 10.0, "s", "EV",
                  "the EV repeats failed matching runs for this long, then gives up"),
)
SLAC = {p.name: p for p in SLAC_PARAMETERS}


def slac_value(name: str) -> float:
    return SLAC[name].value


def slac_count(name: str) -> int:
    return int(SLAC[name].value)


def timeout_100ms(seconds: float) -> int:
    """A time as the frames carry it (units of 100 ms, rounded up)."""
    return max(1, int(-(-round(seconds * 1000) // 100)))

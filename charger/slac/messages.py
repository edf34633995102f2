"""The SLAC vocabulary, declared once: every HomePlug Green PHY management message SLAC uses,
its MMTYPE, the scapy class that lays it out (``scapy.contrib.homepluggp``), who sends it and
what it does. The codec (``frames``), the docs, the tests and the report's sequence diagram read
it. No scapy here, so that readers of a timeline need not import it."""

from __future__ import annotations

from dataclasses import dataclass

EV, EVSE, HOST, MODEM = "EV", "EVSE", "host", "modem"


@dataclass(frozen=True)
class MessageKind:
    name: str
    mmtype: int
    layer_name: str  # the class in scapy.contrib.homepluggp
    sender: str  # EV, EVSE, host (either side's host, to its own modem) or modem (to its host)
    description: str

    @property
    def between_ev_and_evse(self) -> bool:
        """Crosses the power line from one side to the other (not host <-> own modem)."""
        return self.sender in (EV, EVSE)


MESSAGES: tuple[MessageKind, ...] = (
    MessageKind("CM_SET_KEY.REQ", 0x6008, "CM_SET_KEY_REQ", HOST,
                "a host tells its own modem the network key (NMK) and network id (NID) to join"),
    MessageKind("CM_SET_KEY.CNF", 0x6009, "CM_SET_KEY_CNF", MODEM,
                "the modem confirms the key"),
    MessageKind("CM_SLAC_PARM.REQ", 0x6064, "CM_SLAC_PARM_REQ", EV,
                "the EV starts a matching run (broadcast, with its run id)"),
    MessageKind("CM_SLAC_PARM.CNF", 0x6065, "CM_SLAC_PARM_CNF", EVSE,
                "an EVSE that sees a car on its pilot answers with the sounding parameters"),
    MessageKind("CM_START_ATTEN_CHAR.IND", 0x606A, "CM_START_ATTEN_CHAR_IND", EV,
                "the EV announces its sounds (sent three times)"),
    MessageKind("CM_MNBC_SOUND.IND", 0x6076, "CM_MNBC_SOUND_IND", EV,
                "one sound (multi-network broadcast), counting down"),
    MessageKind("CM_ATTEN_PROFILE.IND", 0x6086, "CM_ATTENUATION_CHARACTERISTICS_MME", MODEM,
                "an EVSE's modem reports the attenuation per carrier group of one sound"),
    MessageKind("CM_ATTEN_CHAR.IND", 0x606E, "CM_ATTEN_CHAR_IND", EVSE,
                "an EVSE reports the average attenuation it measured to the EV"),
    MessageKind("CM_ATTEN_CHAR.RSP", 0x606F, "CM_ATTEN_CHAR_RSP", EV,
                "the EV acknowledges an EVSE's attenuation report"),
    MessageKind("CM_SLAC_MATCH.REQ", 0x607C, "CM_SLAC_MATCH_REQ", EV,
                "the EV asks the EVSE it heard best to match"),
    MessageKind("CM_SLAC_MATCH.CNF", 0x607D, "CM_SLAC_MATCH_CNF", EVSE,
                "the EVSE confirms and hands over the network key"),
)
BY_NAME: dict[str, MessageKind] = {kind.name: kind for kind in MESSAGES}
BY_MMTYPE: dict[int, MessageKind] = {kind.mmtype: kind for kind in MESSAGES}

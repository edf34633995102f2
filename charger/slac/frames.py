"""HomePlug Green PHY management frames of SLAC (ISO 15118-3): build and parse, nothing else.

The message layouts are scapy's (``scapy.contrib.homepluggp``), used as they are, for the
messages the vocabulary table names (``charger.slac.messages``); this module adds what a
protocol needs around them: builders that fill in the standard's constant values and pad to the
Ethernet minimum, and a parser that refuses a
frame that is not one of them (wrong EtherType, unknown MMTYPE, truncated, inconsistent length
fields) with a :class:`SlacFrameError` saying why, never with another exception.

Pure functions: no sockets, no clock. The charger's side, the car's side, the simulated PLC link
and the raw-socket transport all use this one codec.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from scapy.contrib import homepluggp
from scapy.contrib.homeplugav import HomePlugAV
from scapy.contrib.homepluggp import (
    CM_SLAC_MATCH_CNF,
    CM_SLAC_MATCH_REQ,
    HPGP_GROUP,
    SLAC_varfield,
    SLAC_varfield_cnf,
)
from scapy.layers.l2 import Ether
from scapy.packet import Packet

from charger.slac.messages import BY_MMTYPE, BY_NAME, MESSAGES, MessageKind

ETHERTYPE_HOMEPLUG_AV = 0x88E1
MIN_FRAME_BYTES = 60  # Ethernet minimum without the FCS: shorter frames are padded with zeros
HEADER_BYTES = 19  # Ethernet (14) + HomePlug AV 1.1 header: MMV, MMTYPE, fragment info (5)
MMV_HOMEPLUG_AV_1_1 = 0x01  # the management message version SLAC frames carry
BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
# Qualcomm's local management address: a host reaches its own PLC modem there (CM_SET_KEY).
LOCAL_MODEM_MAC = "00:b0:52:00:00:01"
ATTEN_GROUPS = 58  # HomePlug Green PHY carrier groups in an attenuation profile
RUN_ID_BYTES = 8
ID_BYTES = 17  # PEV ID / EVSE ID / sender and response IDs
NMK_BYTES = 16
NID_BYTES = 7
MATCH_REQ_VAR_BYTES = 0x3E  # MVFLength of CM_SLAC_MATCH.REQ (62)
MATCH_CNF_VAR_BYTES = 0x56  # MVFLength of CM_SLAC_MATCH.CNF (86)

# Constant field values ISO 15118-3 prescribes (Table A.2 ff.).
APPLICATION_TYPE_PEV_EVSE = 0x00
SECURITY_TYPE_NONE = 0x00
RESP_TYPE_OTHER_GP_STATION = 0x01
KEY_TYPE_NMK = 0x01
PID_HLE_PROTOCOL = 0x04
NEW_EKS_NMK = 0x01
RESULT_SUCCESS = 0x00


class SlacFrameError(ValueError):
    """A frame that is not a well-formed SLAC management message; the text says why."""


# Each message's scapy class, named by the vocabulary table (charger.slac.messages).
LAYERS: dict[str, type[Packet]] = {kind.name: getattr(homepluggp, kind.layer_name)
                                   for kind in MESSAGES}
_MATCH_VAR_BYTES = {CM_SLAC_MATCH_REQ: MATCH_REQ_VAR_BYTES, CM_SLAC_MATCH_CNF: MATCH_CNF_VAR_BYTES}
_MATCH_VAR_LAYER = {CM_SLAC_MATCH_REQ: SLAC_varfield, CM_SLAC_MATCH_CNF: SLAC_varfield_cnf}


@dataclass(frozen=True)
class SlacFrame:
    """A parsed frame: addresses, the message's name and its fields as JSON-ready values
    (MACs as ``aa:bb:..``, byte strings as hex, attenuation groups as a list of dB)."""

    name: str
    dst: str
    src: str
    fields: dict[str, Any] = field(default_factory=dict)
    raw: bytes = b""

    def bytes_of(self, name: str) -> bytes:
        """A byte-string field (RunID, NMK, ...) as bytes."""
        return bytes.fromhex(self.fields[name])

    def to_json(self) -> dict:
        """The decoded form the timeline shows beside the hex."""
        return {"message": self.name, "dst": self.dst, "src": self.src, "fields": self.fields}


# --- parsing -----------------------------------------------------------------------------------
def parse_frame(raw: bytes) -> SlacFrame:
    """Decode one Ethernet frame carrying a SLAC message; SlacFrameError if it is not one.

    The frame returned is shared by every caller that parses the same bytes (scapy takes
    milliseconds for a frame with attenuation groups, and a frame on a shared line reaches
    several hosts): read it, do not change it."""
    if not isinstance(raw, bytes | bytearray):
        raise SlacFrameError(f"a frame is bytes, not {type(raw).__name__}")
    return _parse(bytes(raw))


@lru_cache(maxsize=2048)
def _parse(raw: bytes) -> SlacFrame:
    if len(raw) < HEADER_BYTES:
        raise SlacFrameError(f"truncated: {len(raw)} bytes, the headers alone take "
                             f"{HEADER_BYTES}")
    ethertype = int.from_bytes(raw[12:14], "big")
    if ethertype != ETHERTYPE_HOMEPLUG_AV:
        raise SlacFrameError(f"EtherType 0x{ethertype:04X} is not HomePlug AV (0x88E1)")
    if raw[14] != MMV_HOMEPLUG_AV_1_1:
        raise SlacFrameError(f"management message version {raw[14]}, SLAC uses "
                             f"{MMV_HOMEPLUG_AV_1_1} (HomePlug AV 1.1)")
    mmtype = int.from_bytes(raw[15:17], "little")
    kind = BY_MMTYPE.get(mmtype)
    if kind is None:
        raise SlacFrameError(f"MMTYPE 0x{mmtype:04X} is not a SLAC message")
    try:
        packet = Ether(raw)
        message = packet.getlayer(LAYERS[kind.name])
    except Exception as exc:  # noqa: BLE001 - scapy's dissectors raise many kinds
        raise SlacFrameError(f"{kind.name}: unreadable ({exc})") from None
    if message is None:
        raise SlacFrameError(f"{kind.name}: the body does not decode")
    _check_lengths(kind, message, len(raw) - HEADER_BYTES)
    return SlacFrame(kind.name, packet.dst, packet.src, _fields(message), raw)


def _check_lengths(kind: MessageKind, message: Packet, body_bytes: int) -> None:
    groups = getattr(message, "Groups", None)
    if groups is not None and len(groups) != message.NumberOfGroups:
        raise SlacFrameError(f"{kind.name}: truncated: {message.NumberOfGroups} attenuation "
                             f"groups announced, {len(groups)} present")
    layer = LAYERS[kind.name]
    if layer in _MATCH_VAR_BYTES:
        expected = _MATCH_VAR_BYTES[layer]
        if message.MatchVariableFieldLen != expected:
            raise SlacFrameError(f"{kind.name}: variable field length "
                                 f"{message.MatchVariableFieldLen}, expected {expected}")
    needed = fixed_body_bytes(kind) + len(groups or ())
    if body_bytes < needed:
        raise SlacFrameError(f"{kind.name}: truncated: body of {body_bytes} bytes, needs "
                             f"{needed}")


@cache
def fixed_body_bytes(kind: MessageKind) -> int:
    """The body size of a message without attenuation groups (scapy's defaults: every field
    at its full width)."""
    return len(bytes(LAYERS[kind.name]()))


def _fields(message: Packet) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for desc in message.fields_desc:
        value = getattr(message, desc.name)
        if desc.name == "Groups":
            values["Groups"] = [int(group.group) for group in value]
        elif isinstance(value, Packet):  # the match messages' variable field: flattened
            values.update(_fields(value))
        elif isinstance(value, bytes):
            values[desc.name] = value.hex()
        else:
            values[desc.name] = value
    return values


# --- building ----------------------------------------------------------------------------------
def build_frame(name: str, dst: str, src: str, **fields: Any) -> bytes:
    """Encode message ``name`` from ``dst`` to ``src`` with scapy field values (bytes for byte
    strings, ``Groups`` as a list of dB values, the match messages' variable field flat),
    padded to the Ethernet minimum."""
    kind = BY_NAME.get(name)
    if kind is None:
        raise SlacFrameError(f"no SLAC message {name!r}")
    if "Groups" in fields:
        fields["Groups"] = [_group(int(g)) for g in fields["Groups"]]
    layer = LAYERS[name]
    if layer in _MATCH_VAR_LAYER:
        var_layer = _MATCH_VAR_LAYER[layer]
        var_names = {desc.name for desc in var_layer.fields_desc}
        variable = {k: fields.pop(k) for k in list(fields) if k in var_names}
        fields["VariableField"] = var_layer(**variable)
    packet = (Ether(dst=dst, src=src, type=ETHERTYPE_HOMEPLUG_AV)
              / HomePlugAV(version=MMV_HOMEPLUG_AV_1_1, HPtype=kind.mmtype)
              / layer(**fields))
    raw = bytes(packet)
    return raw + bytes(max(0, MIN_FRAME_BYTES - len(raw)))


@cache
def _group(attenuation_db: int) -> HPGP_GROUP:
    """One carrier group's value; a frame holds 58 and scapy packets are costly to make, so
    each value's packet is made once and shared (building only reads it)."""
    return HPGP_GROUP(group=attenuation_db)


# The standard's messages with its constant values filled in: what each side sends.
def slac_parm_req(ev_mac: str, run_id: bytes) -> bytes:
    return build_frame("CM_SLAC_PARM.REQ", BROADCAST_MAC, ev_mac,
                       ApplicationType=APPLICATION_TYPE_PEV_EVSE,
                       SecurityType=SECURITY_TYPE_NONE, RunID=run_id)


def slac_parm_cnf(evse_mac: str, ev_mac: str, run_id: bytes, sounds: int,
                  timeout_100ms: int) -> bytes:
    return build_frame("CM_SLAC_PARM.CNF", ev_mac, evse_mac, MSoundTargetMAC=BROADCAST_MAC,
                       NumberMSounds=sounds, TimeOut=timeout_100ms,
                       ResponseType=RESP_TYPE_OTHER_GP_STATION, ForwardingSTA=ev_mac,
                       ApplicationType=APPLICATION_TYPE_PEV_EVSE,
                       SecurityType=SECURITY_TYPE_NONE, RunID=run_id)


def start_atten_char_ind(ev_mac: str, run_id: bytes, sounds: int, timeout_100ms: int) -> bytes:
    return build_frame("CM_START_ATTEN_CHAR.IND", BROADCAST_MAC, ev_mac,
                       ApplicationType=APPLICATION_TYPE_PEV_EVSE,
                       SecurityType=SECURITY_TYPE_NONE, NumberOfSounds=sounds,
                       TimeOut=timeout_100ms, ResponseType=RESP_TYPE_OTHER_GP_STATION,
                       ForwardingSTA=ev_mac, RunID=run_id)


def mnbc_sound_ind(ev_mac: str, run_id: bytes, countdown: int, random_value: bytes) -> bytes:
    return build_frame("CM_MNBC_SOUND.IND", BROADCAST_MAC, ev_mac,
                       ApplicationType=APPLICATION_TYPE_PEV_EVSE,
                       SecurityType=SECURITY_TYPE_NONE, Countdown=countdown, RunID=run_id,
                       RandomValue=random_value)


def atten_profile_ind(modem_mac: str, host_mac: str, ev_mac: str,
                      groups_db: list[int]) -> bytes:
    return build_frame("CM_ATTEN_PROFILE.IND", host_mac, modem_mac, EVMACAddress=ev_mac,
                       Groups=[min(255, max(0, round(g))) for g in groups_db])


def atten_char_ind(evse_mac: str, ev_mac: str, run_id: bytes, sounds: int,
                   groups_db: list[int]) -> bytes:
    return build_frame("CM_ATTEN_CHAR.IND", ev_mac, evse_mac,
                       ApplicationType=APPLICATION_TYPE_PEV_EVSE,
                       SecurityType=SECURITY_TYPE_NONE, SourceAdress=ev_mac, RunID=run_id,
                       NumberOfSounds=sounds,
                       Groups=[min(255, max(0, round(g))) for g in groups_db])


def atten_char_rsp(ev_mac: str, evse_mac: str, run_id: bytes) -> bytes:
    return build_frame("CM_ATTEN_CHAR.RSP", evse_mac, ev_mac,
                       ApplicationType=APPLICATION_TYPE_PEV_EVSE,
                       SecurityType=SECURITY_TYPE_NONE, SourceAdress=ev_mac, RunID=run_id,
                       Result=RESULT_SUCCESS)


def slac_match_req(ev_mac: str, evse_mac: str, run_id: bytes) -> bytes:
    return build_frame("CM_SLAC_MATCH.REQ", evse_mac, ev_mac,
                       ApplicationType=APPLICATION_TYPE_PEV_EVSE,
                       SecurityType=SECURITY_TYPE_NONE, MatchVariableFieldLen=MATCH_REQ_VAR_BYTES,
                       EVMAC=ev_mac, EVSEMAC=evse_mac, RunID=run_id)


def slac_match_cnf(evse_mac: str, ev_mac: str, run_id: bytes, nid: bytes, nmk: bytes) -> bytes:
    return build_frame("CM_SLAC_MATCH.CNF", ev_mac, evse_mac,
                       ApplicationType=APPLICATION_TYPE_PEV_EVSE,
                       SecurityType=SECURITY_TYPE_NONE, MatchVariableFieldLen=MATCH_CNF_VAR_BYTES,
                       EVMAC=ev_mac, EVSEMAC=evse_mac, RunID=run_id, NetworkID=nid, NMK=nmk)


def set_key_req(host_mac: str, nid: bytes, nmk: bytes, nonce: int,
                modem_mac: str = LOCAL_MODEM_MAC) -> bytes:
    return build_frame("CM_SET_KEY.REQ", modem_mac, host_mac, KeyType=KEY_TYPE_NMK,
                       MyNonce=nonce, YourNonce=0, PID=PID_HLE_PROTOCOL, ProtoRunNumber=0,
                       ProtoMessNumber=0, CCoCapability=0, NetworkID=nid,
                       NewEncKeySelect=NEW_EKS_NMK, NewKey=nmk)


def set_key_cnf(modem_mac: str, host_mac: str, your_nonce: int, my_nonce: int) -> bytes:
    return build_frame("CM_SET_KEY.CNF", host_mac, modem_mac, Result=RESULT_SUCCESS,
                       MyNonce=my_nonce, YourNonce=your_nonce, PID=PID_HLE_PROTOCOL,
                       ProtoRunNumber=0, ProtoMessNumber=0, CCoCapability=0)


def nid_from_nmk(nmk: bytes, security_level: int = 0) -> bytes:
    """The network id HomePlug AV derives from a network key: 52 bits of an iterated SHA-256
    of the NMK, then the 2-bit security level."""
    digest = nmk
    for _ in range(5):
        digest = hashlib.sha256(digest).digest()
    nid = bytearray(digest[:NID_BYTES])
    nid[6] = (nid[6] & 0x0F) | ((security_level & 0x03) << 4)
    return bytes(nid)


def describe(raw: bytes) -> dict:
    """The decoded form of a frame for the timeline, or the reason it does not decode."""
    try:
        return parse_frame(raw).to_json()
    except SlacFrameError as exc:
        return {"error": str(exc)}

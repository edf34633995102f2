"""Drive the EXIficient codec bundled with Josev (PyPI package ``iso15118``) on corpus infosets.

Runs only inside the test-only environment made by ``setup.sh``.  Josev hands EXIficient a JSON
document (EclipseLink MOXy mapping of the schema's JAXB classes) and gets one back when
decoding.  That JSON differs from the corpus infoset convention, so this module converts:

=====================  ==========================  ==============================
                       corpus infoset               Josev / EXIficient JSON
=====================  ==========================  ==============================
attribute              ``"@Id": "x"``               ``"Id": "x"``
simple content         ``"#text": v``               ``"value": v``
hexBinary              uppercase hex                uppercase hex
base64Binary           uppercase hex                base64
=====================  ==========================  ==============================

Everything else (element names, key order, lists, ints, bools, enumeration literals) is the
same.  Two decode paths are offered: the raw codec (EXIficient's own JSON) and Josev's
``EXI().from_exi`` which also validates into Josev's pydantic models.
"""

from __future__ import annotations

import base64
import json
import logging
import sys
from importlib.metadata import version
from typing import Any

from schema_facts import ATTRIBUTES, BASE64_LEN, HEX_LEN

# Vectors known independently of the corpus (an ISO 15118-2-only supportedAppProtocolReq with
# SchemaID 10, and a SessionSetupReq), keyed by their corpus entry names.
KNOWN_VECTORS: dict[str, tuple[str, dict[str, Any], str]] = {
    "app/supportedAppProtocolReq/iso2-schemaid-10": (
        "app",
        {
            "supportedAppProtocolReq": {
                "AppProtocol": [
                    {
                        "ProtocolNamespace": "urn:iso:15118:2:2013:MsgDef",
                        "VersionNumberMajor": 2,
                        "VersionNumberMinor": 0,
                        "SchemaID": 10,
                        "Priority": 1,
                    }
                ]
            }
        },
        "8000ebab9371d34b9b79d189a98989c1d191d191818999d26b9b3a232b30020000280040",
    ),
    "iso2/SessionSetupReq/vector-sessionid-00": (
        "iso2",
        {
            "V2G_Message": {
                "Header": {"SessionID": "00"},
                "Body": {"SessionSetupReq": {"EVCCID": "0A0B0C0D0E0F"}},
            }
        },
        "8098004011d018282c3034383c00",
    ),
}

NAMESPACES = {
    "app": "urn:iso:15118:2:2010:AppProtocol",
    "din": "urn:din:70121:2012:MsgDef",
    "iso2": "urn:iso:15118:2:2013:MsgDef",
}


def to_josev(namespace: str, node: Any, name: str = "") -> Any:
    """Convert a corpus infoset (or part of it) into Josev's JSON shape."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key.startswith("@"):
                out[key[1:]] = value
            elif key == "#text":
                out["value"] = _to_josev_leaf(namespace, value, name)
            else:
                out[key] = to_josev(namespace, value, key)
        return out
    if isinstance(node, list):
        return [to_josev(namespace, item, name) for item in node]
    return _to_josev_leaf(namespace, node, name)


def _to_josev_leaf(namespace: str, value: Any, name: str) -> Any:
    if name in BASE64_LEN[namespace] and isinstance(value, str):
        return base64.b64encode(bytes.fromhex(value)).decode("ascii")
    return value


def from_josev(namespace: str, node: Any, name: str = "") -> Any:
    """Convert Josev's JSON shape back into a corpus infoset.

    Attributes are placed first, sorted by name (the order EXI encodes them in), then child
    elements in the order given, then ``#text``.
    """
    if isinstance(node, dict):
        attrs = {f"@{k}": v for k, v in sorted(node.items()) if k in ATTRIBUTES}
        children = {
            k: from_josev(namespace, v, k)
            for k, v in node.items()
            if k not in ATTRIBUTES and k != "value"
        }
        out = {**attrs, **children}
        if "value" in node:
            out["#text"] = _from_josev_leaf(namespace, node["value"], name)
        return out
    if isinstance(node, list):
        return [from_josev(namespace, item, name) for item in node]
    return _from_josev_leaf(namespace, node, name)


def _from_josev_leaf(namespace: str, value: Any, name: str) -> Any:
    if name in BASE64_LEN[namespace] and isinstance(value, str):
        return base64.b64decode(value).hex().upper()
    if name in HEX_LEN[namespace] and isinstance(value, str):
        return value.upper()
    return value


class JosevCodec:
    """EXIficient as Josev runs it: one JVM behind py4j, started on first use."""

    def __init__(self) -> None:
        # Josev logs every message it encodes unless told otherwise; keep stdout clean.
        logging.getLogger("iso15118").setLevel(logging.WARNING)
        from iso15118.shared.settings import SettingKey, load_shared_settings, shared_settings

        load_shared_settings()
        shared_settings[SettingKey.MESSAGE_LOG_JSON] = False
        shared_settings[SettingKey.MESSAGE_LOG_EXI] = False

        from iso15118.shared.exi_codec import EXI

        self._exi = EXI()
        self._raw = self._exi.get_exi_codec()  # launches the JVM with EXICodec.jar

    @property
    def description(self) -> str:
        return f"EXIficient via iso15118 {version('iso15118')}"

    # Raw codec: the exact calls EXI().to_exi / from_exi make into the JVM.

    def encode_json(self, document: str, namespace: str) -> bytes:
        return bytes(self._raw.encode(document, NAMESPACES[namespace]))

    def decode_json(self, exi: bytes, namespace: str) -> str:
        return self._raw.decode(exi, NAMESPACES[namespace])

    def encode(self, namespace: str, message: dict[str, Any]) -> bytes:
        return self.encode_json(json.dumps(to_josev(namespace, message)), namespace)

    def decode(self, namespace: str, exi: bytes) -> dict[str, Any]:
        return from_josev(namespace, json.loads(self.decode_json(exi, namespace)))

    def deviation(self, namespace: str, exi: bytes) -> str:
        """Why EXIficient needs a schema deviation for this stream ('' if it does not).

        Josev runs EXIficient in non-strict mode, which silently encodes content the grammar
        does not allow (with second-level event codes).  Re-encoding the decoded events with
        the same grammar in strict mode fails exactly for such content.
        """
        jvm = self._raw.gateway.jvm
        reader = jvm.com.siemens.ct.exi.main.api.sax.SAXFactory(
            self._factory(namespace, strict=False)
        ).createEXIReader()
        result = jvm.com.siemens.ct.exi.main.api.sax.EXIResult(
            self._factory(namespace, strict=True)
        )
        result.setOutputStream(jvm.java.io.ByteArrayOutputStream())
        reader.setContentHandler(result.getHandler())
        try:
            reader.parse(jvm.org.xml.sax.InputSource(jvm.java.io.ByteArrayInputStream(exi)))
        except Exception as exc:  # py4j wraps the Java exception
            return " ".join(str(exc).split())[:160] or type(exc).__name__
        return ""

    def _factory(self, namespace: str, strict: bool) -> Any:
        """An EXIficient factory set up like Josev's codec (V2G profile, built-in grammars)."""
        jvm = self._raw.gateway.jvm
        factory = jvm.com.siemens.ct.exi.core.helpers.DefaultEXIFactory.newInstance()
        factory.setValueMaxLength(0)
        factory.setValuePartitionCapacity(0)
        factory.setMaximumNumberOfBuiltInElementGrammars(0)
        factory.setMaximumNumberOfBuiltInProductions(0)
        grammars = jvm.com.siemens.ct.exi.main.generatedgrammar
        grammar = {
            "app": grammars.CommonAppProtocol,
            "din": grammars.DINSpec_70121,
            "iso2": grammars.ISO15118_2Grammar,
        }[namespace]
        factory.setGrammars(grammar())
        if strict:
            factory.setFidelityOptions(jvm.com.siemens.ct.exi.core.FidelityOptions.createStrict())
        return factory

    # Josev's own message layer (pydantic models), narrower than the schemas.

    def model(self, namespace: str, message: dict[str, Any]) -> Any:
        """Build Josev's pydantic model of a message, as Josev itself parses decoded JSON."""
        from iso15118.shared.exi_codec import CustomJSONDecoder
        from iso15118.shared.messages.app_protocol import (
            SupportedAppProtocolReq,
            SupportedAppProtocolRes,
        )
        from iso15118.shared.messages.din_spec.msgdef import V2GMessage as DinMessage
        from iso15118.shared.messages.iso15118_2.msgdef import V2GMessage as Iso2Message

        data = json.loads(json.dumps(to_josev(namespace, message)), cls=CustomJSONDecoder)
        if namespace == "app":
            ((root, content),) = data.items()
            cls = SupportedAppProtocolReq if root == "supportedAppProtocolReq" else None
            cls = cls or SupportedAppProtocolRes
            return cls.parse_obj(content)
        cls = DinMessage if namespace == "din" else Iso2Message
        return cls.parse_obj(data["V2G_Message"])

    def to_exi(self, namespace: str, model: Any) -> bytes:
        return bytes(self._exi.to_exi(model, NAMESPACES[namespace]))

    def from_exi(self, namespace: str, exi: bytes) -> dict[str, Any]:
        """Decode with Josev's ``EXI().from_exi`` and return the result as a corpus infoset."""
        from iso15118.shared.exi_codec import CustomJSONEncoder

        model = self._exi.from_exi(exi, NAMESPACES[namespace])
        content = json.loads(
            json.dumps(model.dict(by_alias=True, exclude_none=True), cls=CustomJSONEncoder)
        )
        # str() of an AppProtocol model is its element name, e.g. supportedAppProtocolReq.
        root = str(model) if namespace == "app" else "V2G_Message"
        return from_josev(namespace, {root: content})


def self_test() -> int:
    """Encode the known vectors; used by setup.sh to check the environment works."""
    codec = JosevCodec()
    failed = 0
    for name, (namespace, message, expected) in KNOWN_VECTORS.items():
        got = codec.encode(namespace, message).hex()
        if got != expected:
            print(f"{name}: got {got}, expected {expected}", file=sys.stderr)
            failed += 1
    print(f"{codec.description}: {'FAILED' if failed else 'OK'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(self_test())

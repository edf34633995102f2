"""The MQTT topic layout (EVerest's), in one place: building topics and reading them back.

::

    everest/modules/<module>/impl/<impl>/var/<name>                   a variable
    everest/modules/<module>/impl/<impl>/cmd/<name>                   a command call
    everest/modules/<module>/impl/<impl>/cmd/<name>/response/<caller> its result
    everest/modules/<module>/impl/<impl>/error/<interface>/<name>     an error raised or cleared
    everest/modules/<module>/ready                                    the module is ready
    everest/modules/<module>/heartbeat                                the module is alive
    everest/modules/<module>/response                                 its configuration
    everest/config/request                                            a module asks for it
    everest/ready                                                     every module is ready
    everest/modules/<module>/log, .../lifecycle                       evbench: log lines, stages
    everest/evbench/clock                                             evbench: the shared epoch
    everest/evbench/state/<module>                                    evbench: kept for a restart

Payloads are in :mod:`charger.framework.envelope` and ``docs/mqtt.md``. A topic built from what
a peer sent (a caller's ``origin``) is checked with :func:`segment_problem` first: publishing to
a topic with a wildcard, a separator or too many bytes is refused by the MQTT client.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from charger.framework.bus import CommandError

PREFIX = "everest"
GLOBAL_READY = f"{PREFIX}/ready"
EVERYTHING = f"{PREFIX}/#"
CONFIG_REQUEST = f"{PREFIX}/config/request"
CLOCK = f"{PREFIX}/evbench/clock"
ALL_STATES = f"{PREFIX}/evbench/state/+"
ALL_COMMANDS = f"{PREFIX}/modules/+/impl/+/cmd/+"
ALL_READY = f"{PREFIX}/modules/+/ready"
ALL_HEARTBEATS = f"{PREFIX}/modules/+/heartbeat"
MAX_SEGMENT_BYTES = 256  # a name inside a topic; MQTT allows 65,535 bytes for a whole topic


def segment_problem(name: object) -> str | None:
    """Why ``name`` (e.g. a caller's origin) cannot be one level of a topic; None if it can."""
    if not isinstance(name, str) or not name:
        return "not a non-empty string"
    if any(c in name for c in "/+#\0"):
        return "contains '/', '+', '#' or NUL"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES:
        return f"longer than {MAX_SEGMENT_BYTES} bytes"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid UTF-8"
    return None


def _impl(module: str, impl: str) -> str:
    return f"{PREFIX}/modules/{module}/impl/{impl}"


def var(module: str, impl: str, name: str) -> str:
    return f"{_impl(module, impl)}/var/{name}"


def cmd(module: str, impl: str, name: str) -> str:
    return f"{_impl(module, impl)}/cmd/{name}"


def response(module: str, impl: str, name: str, caller: str) -> str:
    return f"{cmd(module, impl, name)}/response/{caller}"


def responses_to(caller: str) -> str:
    return f"{PREFIX}/modules/+/impl/+/cmd/+/response/{caller}"


def commands_of(module: str) -> str:
    return f"{PREFIX}/modules/{module}/impl/+/cmd/+"


def error(module: str, impl: str, error_type: str) -> str:
    return f"{_impl(module, impl)}/error/{error_type}"


def errors_of(module: str, impl: str) -> str:
    return f"{_impl(module, impl)}/error/#"


def ready(module: str) -> str:
    return f"{PREFIX}/modules/{module}/ready"


def heartbeat(module: str) -> str:
    return f"{PREFIX}/modules/{module}/heartbeat"


def config_response(module: str) -> str:
    return f"{PREFIX}/modules/{module}/response"


def state(module: str) -> str:
    return f"{PREFIX}/evbench/state/{module}"


def log(module: str) -> str:
    return f"{PREFIX}/modules/{module}/log"


def lifecycle(module: str) -> str:
    return f"{PREFIX}/modules/{module}/lifecycle"


@dataclass(frozen=True)
class Topic:
    """A topic read back: what kind of message, about which module and implementation."""

    kind: str  # var, cmd, response, error, ready, heartbeat, config_response, log, lifecycle,
    #            global_ready, config_request, clock
    module: str = ""
    impl: str = ""
    name: str = ""  # variable / command name, or error type
    caller: str = ""  # for responses


@lru_cache(maxsize=4096)  # a station uses a few hundred topics, each many times
def parse(topic: str) -> Topic | None:
    """Read a topic of this layout; None for anything else."""
    if topic == GLOBAL_READY:
        return Topic("global_ready")
    if topic == CONFIG_REQUEST:
        return Topic("config_request")
    if topic == CLOCK:
        return Topic("clock")
    parts = topic.split("/")
    if len(parts) == 4 and parts[:3] == [PREFIX, "evbench", "state"]:
        return Topic("state", parts[3])
    if len(parts) < 4 or parts[0] != PREFIX or parts[1] != "modules":
        return None
    module = parts[2]
    if len(parts) == 4 and parts[3] in ("ready", "log", "lifecycle", "heartbeat"):
        return Topic(parts[3], module)
    if len(parts) == 4 and parts[3] == "response":
        return Topic("config_response", module)
    if len(parts) < 7 or parts[3] != "impl":
        return None
    impl, section, rest = parts[4], parts[5], parts[6:]
    if section == "var" and len(rest) == 1:
        return Topic("var", module, impl, rest[0])
    if section == "cmd" and len(rest) == 1:
        return Topic("cmd", module, impl, rest[0])
    if section == "cmd" and len(rest) == 3 and rest[1] == "response":
        return Topic("response", module, impl, rest[0], rest[2])
    if section == "error" and rest:
        return Topic("error", module, impl, "/".join(rest))
    return None


def timeline_entry(topic: Topic, payload: Any) -> tuple[str, str, str, Any] | None:
    """What a message on the broker means as a timeline row: (kind, source, name, value),
    the same rows the in-process bus records. ``payload`` is the message's content, unwrapped
    from EVerest's envelope by the bus. None for messages that are not part of a timeline."""
    where = f"{topic.module}.{topic.impl}"
    if not isinstance(payload, dict | list | str | int | float | bool | None):
        return ("log", topic.module or "broker", "warning",
                f"malformed message on {topic.kind} {where}.{topic.name}: {payload}")
    if topic.kind == "var":
        return ("var", where, topic.name, payload)
    if topic.kind == "cmd" and isinstance(payload, dict):
        return ("cmd", str(payload.get("origin", "")), f"{where}.{topic.name}",
                {"id": payload.get("id"), "args": payload.get("args")})
    if topic.kind == "response" and isinstance(payload, dict):
        if "error" in payload:
            error = CommandError.from_wire(payload["error"]).to_json()
            return ("cmd_error", where, f"{where}.{topic.name}",
                    {"id": payload.get("id"), "error": error})
        return ("result", where, f"{where}.{topic.name}",
                {"id": payload.get("id"), "result": payload.get("retval")})
    if topic.kind == "error" and isinstance(payload, dict):
        kind = "error_raised" if payload.get("active", True) else "error_cleared"
        return (kind, where, topic.name, payload)
    if topic.kind == "ready" and payload is True:
        return ("lifecycle", topic.module, "ready", None)
    if topic.kind == "lifecycle" and isinstance(payload, str):
        return ("lifecycle", topic.module, payload, None)
    if topic.kind == "log" and isinstance(payload, dict):
        return ("log", topic.module, str(payload.get("level", "info")),
                str(payload.get("message", "")))
    return None

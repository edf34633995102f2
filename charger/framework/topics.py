"""The MQTT topic layout (EVerest's), in one place: building topics and reading them back.

::

    everest/modules/<module>/impl/<impl>/var/<name>                  variable value (JSON)
    everest/modules/<module>/impl/<impl>/cmd/<name>                  {"id", "args", "origin"}
    everest/modules/<module>/impl/<impl>/cmd/<name>/response/<caller> {"id", "retval"} or
                                                            {"id", "error": {type, message}}
    everest/modules/<module>/impl/<impl>/error/<interface>/<name>    error report (JSON)
    everest/modules/<module>/ready                                   true (retained)
    everest/modules/<module>/log                                     {"level", "message"}
    everest/modules/<module>/lifecycle                               "init" | "shutdown"
    everest/ready                                                    true (retained) once all are
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

PREFIX = "everest"
GLOBAL_READY = f"{PREFIX}/ready"
EVERYTHING = f"{PREFIX}/#"


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


def log(module: str) -> str:
    return f"{PREFIX}/modules/{module}/log"


def lifecycle(module: str) -> str:
    return f"{PREFIX}/modules/{module}/lifecycle"


@dataclass(frozen=True)
class Topic:
    """A topic read back: what kind of message, about which module and implementation."""

    kind: str  # var, cmd, response, error, ready, log, lifecycle, global_ready
    module: str = ""
    impl: str = ""
    name: str = ""  # variable / command name, or error type
    caller: str = ""  # for responses


@lru_cache(maxsize=4096)  # a station uses a few hundred topics, each many times
def parse(topic: str) -> Topic | None:
    """Read a topic of this layout; None for anything else."""
    if topic == GLOBAL_READY:
        return Topic("global_ready")
    parts = topic.split("/")
    if len(parts) < 4 or parts[0] != PREFIX or parts[1] != "modules":
        return None
    module = parts[2]
    if len(parts) == 4 and parts[3] in ("ready", "log", "lifecycle"):
        return Topic(parts[3], module)
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
    the same rows the in-process bus records. None for messages that are not part of it."""
    where = f"{topic.module}.{topic.impl}"
    if not isinstance(payload, dict | list | str | int | float | bool | None):
        return ("log", topic.module or "broker", "warning", f"malformed message on {topic}")
    if topic.kind == "var":
        return ("var", where, topic.name, payload)
    if topic.kind == "cmd" and isinstance(payload, dict):
        return ("cmd", str(payload.get("origin", "")), f"{where}.{topic.name}",
                {"id": payload.get("id"), "args": payload.get("args")})
    if topic.kind == "response" and isinstance(payload, dict):
        if "error" in payload:
            return ("cmd_error", where, f"{where}.{topic.name}",
                    {"id": payload.get("id"), "error": payload["error"]})
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

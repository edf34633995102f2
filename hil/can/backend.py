"""Rig backends for DC power modules on CAN: ``infypower_modules``, ``winline_modules`` and
``can_dbc_modules`` (the user's DBC and mapping). A part names its channel and the modules'
addresses, as the module's configuration does:

```yaml
parts:
  dc_supply:
    backend: infypower_modules
    channel: /dev/ttyACM0        # a USB slcan adapter; on an emulated rig any free path
    modules: [1, 2]
    emulate: {load_ocv_v: 400, load_resistance_ohm: 0.5}
```

``rig check`` asks every module for its output; ``rig emulate`` makes a socat pty pair for an
slcan channel (the emulated modules on ``CHANNEL.emulator``) or joins the named channel of any
other python-can interface.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hil.backends import Backend
from hil.can.channel import CanChannel
from hil.can.codec import ModuleCodec
from hil.can.emulator import VENDOR_SETTINGS, PowerModuleRack
from hil.can.mapping import Mapping, load_mapping, shipped_mapping
from hil.device import Device
from hil.emulators.host import EmulatorHost
from hil.emulators.pty import PtyPair

if TYPE_CHECKING:
    from hil.rig import Part, Rig

EMULATOR_SUFFIX = ".emulator"

# backend name -> (module, shipped protocol or None for the part's own mapping)
VENDORS: dict[str, tuple[str, str | None]] = {
    "infypower_modules": ("InfyPowerSupply", "infypower"),
    "winline_modules": ("WinlinePowerSupply", "winline"),
    "can_dbc_modules": ("DbcPowerSupply", None),
}


def _mapping(name: str, config: dict) -> Mapping:
    vendor = VENDORS[name][1]
    return shipped_mapping(vendor) if vendor else load_mapping(config["mapping"])


def _bus_options(config: dict) -> dict[str, Any]:
    return {"sleep_after_open": config.get("adapter_settle_s", 0)} \
        if config.get("interface", "slcan") == "slcan" else {}


def _devices(name: str):
    def devices(part: Part) -> list[Device]:
        c = part.config
        channel = CanChannel(None, part.id, ModuleCodec(_mapping(name, c)), c["channel"],
                             c.get("interface", "slcan"), c.get("bitrate", 125_000),
                             **_bus_options(c))
        channel.probe_addresses = list(c.get("modules", [0]))
        return [channel]
    return devices


def _emulate(name: str):
    def emulate(host: EmulatorHost, part: Part, rig: Rig) -> str:
        c, settings = part.config, part.emulate
        interface = c.get("interface", "slcan")
        channel = c["channel"]
        if interface == "slcan":
            pair = PtyPair(channel, channel + EMULATOR_SUFFIX).start()
            host.on_stop(pair.stop)
            channel = channel + EMULATOR_SUFFIX
        vendor = VENDORS[name][1]
        rack = PowerModuleRack(
            host.env, vendor or ModuleCodec(_mapping(name, c)), channel,
            list(c.get("modules", [0])), interface=interface,
            settings=VENDOR_SETTINGS.get(vendor or ""),
            load_ocv_v=settings.get("load_ocv_v", 400.0),
            load_resistance_ohm=settings.get("load_resistance_ohm", 0.5))
        host.add(rack, part.id)
        return f"{len(rack.modules)} {vendor or 'DBC-mapped'} power modules on " \
            f"{interface} {c['channel']}"
    return emulate


def _backend(name: str, description: str) -> Backend:
    module = VENDORS[name][0]
    return Backend(name, description, lambda _config: module, _devices(name), _emulate(name))


INFYPOWER = _backend("infypower_modules", "InfyPower DC power modules on a CAN channel")
WINLINE = _backend("winline_modules", "Winline DC power modules on a CAN channel")
DBC = _backend("can_dbc_modules", "DC power modules described by a DBC and a mapping file")

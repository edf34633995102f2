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

``emulate`` settings: the emulated modules' fixed load (``load_ocv_v``, a battery's open-circuit
voltage, ``null`` for none; ``load_resistance_ohm``) until an ``emulated_dc_load`` part tells
them the simulated car's (``hil/can/load.py``), and each module's rating (``max_voltage_v``,
``min_voltage_v``, ``max_current_a``, ``max_power_w``; what it reports as its capabilities).

``rig check`` asks every module for its output; ``rig emulate`` makes a socat pty pair for an
slcan channel (the emulated modules on ``CHANNEL.emulator``) or joins the named channel of any
other python-can interface.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from hil.backends import Backend
from hil.can.channel import CanChannel
from hil.can.codec import ModuleCodec
from hil.can.emulator import PowerModuleRack, vendor_settings
from hil.can.mapping import Mapping, load_mapping, shipped_mapping
from hil.can.vendors import VENDORS, by_backend
from hil.device import Device
from hil.emulators.host import EmulatorHost
from hil.emulators.pty import PtyPair

if TYPE_CHECKING:
    from hil.rig import Part, Rig

EMULATOR_SUFFIX = ".emulator"
RATINGS = ("max_voltage_v", "min_voltage_v", "max_current_a", "max_power_w")

def _mapping(name: str, config: dict) -> Mapping:
    vendor = by_backend(name).mapping
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
        vendor = by_backend(name).mapping
        rack = PowerModuleRack(
            host.env, vendor or ModuleCodec(_mapping(name, c)), channel,
            list(c.get("modules", [0])), interface=interface,
            settings=dataclasses.replace(vendor_settings(vendor),
                                         **{k: float(settings[k]) for k in RATINGS
                                            if k in settings}),
            load_ocv_v=settings.get("load_ocv_v", 400.0),
            load_resistance_ohm=settings.get("load_resistance_ohm", 0.5),
            log=lambda line: print(f"{part.id}: {line}", flush=True))
        host.add(rack, part.id)
        return f"{len(rack.modules)} {vendor or 'DBC-mapped'} power modules on " \
            f"{interface} {c['channel']}"
    return emulate


def _backend(vendor: str) -> Backend:
    v = VENDORS[vendor]
    return Backend(v.backend, f"DC power modules on a CAN channel ({v.description})",
                   lambda _config: v.module, _devices(v.backend), _emulate(v.backend))


INFYPOWER = _backend("infypower")
WINLINE = _backend("winline")
DBC = _backend("dbc")

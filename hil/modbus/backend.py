"""The ``modbus_meter`` backend: a part that is a power meter on Modbus TCP or RTU."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hil.backends import Backend
from hil.device import Device, DeviceUnavailable
from hil.emulators.host import EmulatorHost
from hil.emulators.pty import PtyPair
from hil.modbus.device import ModbusMeterDevice
from hil.modbus.emulator import ModbusMeterEmulator, Unit, fixed_load
from hil.modbus.registermap import load_register_map

if TYPE_CHECKING:
    from hil.rig import Part, Rig

EMULATOR_SUFFIX = ".emulator"


def _where(config: dict) -> str:
    if config["transport"] == "tcp":
        return f"{config['host']}:{config['tcp_port']}"
    return config.get("serial_port", "")


def _devices(part: Part) -> list[Device]:
    c = part.config
    return [ModbusMeterDevice(None, part.id, c["transport"], _where(c), c["unit"],
                              load_register_map(c["register_map"]), baudrate=c["baudrate"],
                              timeout_s=c["timeout_s"])]


def _emulate(host: EmulatorHost, part: Part, rig: Rig) -> str:
    """One emulator per TCP port or RTU line; each meter on it is a unit."""
    c, settings = part.config, part.emulate
    measures = settings.get("measures")
    if measures is not None:
        board = host.by_part.get(measures)
        plug = getattr(board, "plug", None)
        if plug is None:
            raise DeviceUnavailable(f"{part.id}: emulate.measures: no emulated board "
                                    f"{measures!r} before it in the rig")
    else:
        plug = fixed_load(float(settings.get("current_a", 16.0)), int(settings.get("phases", 3)),
                          float(settings.get("energy_wh", 0.0)))
    unit = Unit(c["unit"], load_register_map(c["register_map"]), plug)
    key = f"modbus {c['transport']} {_where(c)}"
    emulator = host.by_part.get(key)
    if isinstance(emulator, ModbusMeterEmulator):
        emulator.units[unit.unit] = unit
        emulator.images[unit.unit] = {}
        return f"meter unit {unit.unit} on {_where(c)} (shared)"
    if c["transport"] == "tcp":
        emulator = ModbusMeterEmulator(host.env, "tcp", _where(c), [unit])
    else:
        port = c["serial_port"]
        pair = PtyPair(port, port + EMULATOR_SUFFIX).start()
        host.on_stop(pair.stop)
        emulator = ModbusMeterEmulator(host.env, "rtu", port + EMULATOR_SUFFIX, [unit],
                                       baudrate=c["baudrate"])
    host.add(emulator, key)
    return f"meter unit {unit.unit} ({unit.map.model}) on {c['transport']} {_where(c)}"


BACKEND = Backend("modbus_meter", "a power meter on Modbus TCP or RTU",
                  lambda _config: "ModbusMeter", _devices, _emulate)

"""Emulators of bench devices, speaking their real wire protocols over ptys and TCP ports,
driven by the simulated world's physics: a whole bench rig runs on a laptop and in CI.
``evbench rig emulate RIG.yaml`` starts those a rig names (``hil/emulators/host.py``)."""

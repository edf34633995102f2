"""The workbench above the charger stack: scenario engine and command line.

``charger/`` is the station (modules, buses, protocols), ``sim/`` the simulated world around it,
``hil/`` the bench hardware; this package orchestrates them into runs and verdicts.
"""

"""evbench's plain-language step library for pytest-bdd, installed as a pytest plugin.

Installing evbench registers the plugin (the ``pytest11`` entry point ``evbench``): a repository
needs only a feature file and a test module that binds it with ``pytest_bdd.scenarios``. Given
steps assemble a scenario (station, cars, grid, tokens), When steps append scenario steps, and
the first Then step runs the scenario once, in virtual time; every Then step then reads the
recorded timeline. docs/bdd-steps.md lists every phrase (it is generated from
:data:`evbench.bdd.library.STEPS` and :data:`evbench.bdd.phrases.HAPPENINGS`).

The same machinery is a Python API: :class:`Bench` builds and runs a scenario, and the
``evbench_scenario`` and ``evbench_station`` fixtures run a scenario file or a station in a test
and hand back the timeline as pandas DataFrames.
"""

from .bench import Bench, BenchError, Timeline
from .places import SHIPPED_PREFIX, Places

__all__ = ["SHIPPED_PREFIX", "Bench", "BenchError", "Places", "Timeline"]

"""Bus values built once and published many times.

A module that publishes the same value again and again (a V2G message that repeats every loop)
can build it once as a :class:`FrozenValue`: a dict that refuses changes, so that whoever keeps
it (the recorder writes each value's canonical JSON) may keep what it made of it the first time.
"""

from __future__ import annotations

from typing import Any, NoReturn


class FrozenValue(dict):
    """A dict that does not change after it was built (nor may what it holds: treat it as
    read-only throughout). ``memo`` is free for whoever derives something from it once."""

    __slots__ = ("memo",)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.memo: Any = None

    def __reduce__(self) -> tuple:
        # pickle and deepcopy rebuild it whole (their default sets item by item)
        return (type(self), (dict(self),))

    def _refuse(self, *_args: Any, **_kwargs: Any) -> NoReturn:
        raise TypeError("a FrozenValue does not change; copy it with dict(value)")

    __setitem__ = __delitem__ = __ior__ = _refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

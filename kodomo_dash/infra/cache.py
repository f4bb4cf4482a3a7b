"""Process-wide caches for services, without Streamlit (decision 059).

Why here and not ``st.cache_data``: services are called by screens, the CLI and the bench alike,
and only ``ui/`` may import Streamlit. Every session of the server is a thread of one process,
so a process-wide cache is what Streamlit's shared caches were; the rules for what may be cached
stay those of ``services``: only non-personal aggregates (``aggregate_cache``, keyed on the build
id first so a rebuild shows at once) and heavy read-only objects such as a trained model
(``resource_cache``). Nothing about one child or one household is cached.

An aggregate is handed out as a deep copy, so a caller that edits its DataFrame cannot change
what the next session sees (``st.cache_data`` gave the same guarantee by pickling).
"""

from __future__ import annotations

import copy
import functools
import inspect
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_CACHES: list[_Lru] = []


class _Lru:
    """A bounded, thread-safe memo keyed on the arguments whose names do not start with ``_``.

    The underscore rule is Streamlit's: an argument such as ``_inputs`` is carried along but not
    part of the key (the fingerprint before it already says which data it is).
    """

    def __init__(self, func: Callable[..., Any], maxsize: int) -> None:
        self.func, self.maxsize = func, maxsize
        self.signature = inspect.signature(func)
        self.values: OrderedDict[tuple, Any] = OrderedDict()
        self.lock = threading.Lock()

    def key(self, args: tuple, kwargs: dict[str, Any]) -> tuple:
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return tuple((name, value) for name, value in bound.arguments.items() if not name.startswith("_"))

    def get(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        key = self.key(args, kwargs)
        with self.lock:
            if key in self.values:
                self.values.move_to_end(key)
                return self.values[key]
        value = self.func(*args, **kwargs)
        with self.lock:
            self.values[key] = value
            while len(self.values) > self.maxsize:
                self.values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.values.clear()


def _memo(func: Callable[..., Any], maxsize: int, copy_out: bool) -> Any:
    lru = _Lru(func, maxsize)
    _CACHES.append(lru)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        value = lru.get(args, kwargs)
        return copy.deepcopy(value) if copy_out else value

    wrapper.cache_clear = lru.clear  # type: ignore[attr-defined]
    return wrapper


def aggregate_cache(func: F) -> F:
    """Cache a non-personal aggregate for all sessions, keyed on its arguments (build id first)."""
    return _memo(func, 32, copy_out=True)  # type: ignore[return-value]


def resource_cache(maxsize: int) -> Callable[[F], F]:
    """Cache a heavy read-only object (shared, not copied): its callers must not change it."""
    return lambda func: _memo(func, maxsize, copy_out=False)  # type: ignore[return-value]


def clear_caches() -> None:
    """Forget every cached value (tests, and a process that rebuilds and reads again)."""
    for lru in _CACHES:
        lru.clear()

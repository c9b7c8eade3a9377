"""An LRU cache of question vectors: customers ask the same few questions again and again, and
encoding one costs milliseconds while looking it up costs nothing."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

Key = TypeVar("Key")
Value = TypeVar("Value")

QUERY_CACHE_SIZE = 2048


class LruCache(Generic[Key, Value]):
    """The ``size`` most recently used values (not thread-safe: the index locks around it)."""

    def __init__(self, size: int = QUERY_CACHE_SIZE) -> None:
        self.size = size
        self._values: OrderedDict[Key, Value] = OrderedDict()

    def get(self, key: Key) -> Value | None:
        value = self._values.get(key)
        if value is not None:
            self._values.move_to_end(key)
        return value

    def put(self, key: Key, value: Value) -> None:
        self._values[key] = value
        self._values.move_to_end(key)
        while len(self._values) > self.size:
            self._values.popitem(last=False)

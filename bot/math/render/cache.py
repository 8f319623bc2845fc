"""Renders cached by their input, and the rule that a render never raises for bad input.

Deterministic refusals (too big, unparsable) are cached like images; a renderer bug is not, so a
fixed version is tried again.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from matplotlib.mathtext import MathTextParser

from bot.math.render.base import CACHE_SIZE, MPL_LOCK, CacheInfo, _RenderError


class _LRU:
    """Thread-safe LRU; hand-rolled so failures can be cached selectively and stats exposed."""

    def __init__(self, maxsize: int) -> None:
        self._data: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self._maxsize = maxsize
        self._hits = 0
        self._misses = 0

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            try:
                value = self._data[key]
            except KeyError:
                self._misses += 1
                return None
            self._data.move_to_end(key)
            self._hits += 1
            return value

    def put(self, key: Hashable, value: object) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._hits = self._misses = 0

    def info(self) -> CacheInfo:
        with self._lock:
            return CacheInfo(self._hits, self._misses, self._maxsize, len(self._data))


_CACHE = _LRU(CACHE_SIZE)


def render_cache_info() -> CacheInfo:
    return _CACHE.info()


def clear_render_cache() -> None:
    """Empty our LRU and matplotlib's mathtext cache, so a benchmark sees true cold renders."""
    _CACHE.clear()
    with MPL_LOCK, contextlib.suppress(AttributeError):  # private in matplotlib; best effort
        MathTextParser._parse_cached.cache_clear()


# _CacheEntry = (png, error, derived plain text)
_CacheEntry = tuple[bytes | None, str | None, str]


def _failure_message(exc: Exception) -> str:
    if isinstance(exc, _RenderError):
        return str(exc)
    if isinstance(exc, ValueError):  # mathtext parse errors: keep the caret-free last line
        lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
        return f"LaTeX not renderable: {lines[-1] if lines else exc}"
    return f"{type(exc).__name__}: {exc}"


def _attempt(draw: Callable[[], bytes]) -> tuple[bytes | None, str | None, bool]:
    """Run a draw; return (png, error, cacheable).  Never raises for bad input."""
    try:
        return draw(), None, True
    except (_RenderError, ValueError) as exc:  # deterministic: same input, same failure
        return None, _failure_message(exc), True
    except Exception as exc:  # a renderer bug must not reach the student
        return None, _failure_message(exc), False


def _cached_render(
    key: Hashable, draw: Callable[[], bytes], derive_text: Callable[[], str]
) -> _CacheEntry:
    hit = _CACHE.get(key)
    if hit is not None:
        return hit  # type: ignore[return-value]
    png, error, cacheable = _attempt(draw)
    try:
        text = derive_text()
    except Exception:  # the fallback itself must never fail
        text = ""
    entry: _CacheEntry = (png, error, text)
    if cacheable:
        _CACHE.put(key, entry)
    return entry

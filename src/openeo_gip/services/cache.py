"""The PNG tiles drawn last, kept in memory: a map pans and zooms over the same tiles again and again."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

# 2,000 tiles of typically 5 to 100 kB: at most a few hundred MB, usually far less.
MAX_TILES = 2000


class TileCache:
    """A bounded, thread-safe LRU of tiles by key: (service id, version, z, x, y) or any other key whose
    first element names what ``invalidate`` drops."""

    def __init__(self, max_tiles: int = MAX_TILES):
        self._max = max_tiles
        self._tiles: OrderedDict[tuple, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Hashable, ...]) -> bytes | None:
        with self._lock:
            tile = self._tiles.get(key)
            if tile is not None:
                self._tiles.move_to_end(key)
            return tile

    def put(self, key: tuple[Hashable, ...], tile: bytes) -> None:
        with self._lock:
            self._tiles[key] = tile
            self._tiles.move_to_end(key)
            while len(self._tiles) > self._max:
                self._tiles.popitem(last=False)

    def invalidate(self, owner: Hashable) -> None:
        """Drop every tile whose key starts with ``owner`` (a service changed or went away)."""
        with self._lock:
            for key in [key for key in self._tiles if key[0] == owner]:
                del self._tiles[key]

    def __len__(self) -> int:
        return len(self._tiles)

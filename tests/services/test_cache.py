"""The tile cache: bounded, least recently used first out, and emptied per service."""

from openeo_gip.services.cache import TileCache


def test_the_least_recently_used_tile_goes_first():
    cache = TileCache(max_tiles=2)
    cache.put(("a", 1, 0, 0, 0), b"first")
    cache.put(("a", 1, 1, 0, 0), b"second")
    assert cache.get(("a", 1, 0, 0, 0)) == b"first"  # now the most recent

    cache.put(("a", 1, 1, 1, 0), b"third")

    assert len(cache) == 2
    assert cache.get(("a", 1, 1, 0, 0)) is None
    assert cache.get(("a", 1, 0, 0, 0)) == b"first" and cache.get(("a", 1, 1, 1, 0)) == b"third"


def test_invalidate_drops_the_tiles_of_one_service_only():
    cache = TileCache()
    cache.put(("a", 1, 0, 0, 0), b"a")
    cache.put(("a", 2, 0, 0, 0), b"a2")
    cache.put(("b", 1, 0, 0, 0), b"b")

    cache.invalidate("a")

    assert cache.get(("a", 1, 0, 0, 0)) is None and cache.get(("a", 2, 0, 0, 0)) is None
    assert cache.get(("b", 1, 0, 0, 0)) == b"b"

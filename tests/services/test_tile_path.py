"""What one tile costs: each collection looked up once per tile, and the fast PNG still lossless."""

from dataclasses import dataclass

import numpy as np
from rasterio.io import MemoryFile

from openeo_gip.raster.records import Grid
from openeo_gip.services.layer import TileCatalog, with_tile_extent
from openeo_gip.services.render import Style, render_png, rgba
from openeo_gip.services.tiles import Tile


@dataclass
class _Record:
    grid: Grid


class _CountingCatalog:
    """A catalogue of one 10 m UTM collection that counts its look-ups."""

    def __init__(self):
        self.lookups = 0

    def get(self, collection_id: str, user=None) -> _Record:
        self.lookups += 1
        return _Record(Grid("EPSG:32631", [10.0, 0.0, 600000.0, 0.0, -10.0, 5700000.0], 2048, 2048))


@dataclass
class _User:
    id: str = "alice"


def test_a_tile_looks_each_collection_up_once_and_sees_the_same_coarser_grid():
    catalog = _CountingCatalog()
    tiles = TileCatalog(catalog, Tile(12, 2085, 1364))  # about 24 m pixels over 10 m data
    process = {
        "process_graph": {
            "load": {"process_id": "load_collection", "arguments": {"id": "S2"}, "result": True}
        }
    }

    extent = with_tile_extent(process, Tile(12, 2085, 1364), tiles, _User())
    first, second = tiles.get("S2", user=_User()), tiles.get("S2", user=_User())

    assert catalog.lookups == 1
    assert first.grid.transform[0] == 20.0 and first.grid.width == 1024  # read from the 2x overview
    assert second.grid == first.grid
    assert extent["process_graph"]["load"]["arguments"]["spatial_extent"]["crs"] == 32631


def test_a_rendered_tile_decodes_to_exactly_its_colours():
    rng = np.random.default_rng(3)
    values = rng.uniform(0, 5000, (1, 256, 256)).astype(np.float32)
    values[0, :10] = np.nan
    expected = rgba(values, Style("viridis", 0.0, 5000.0))

    with MemoryFile(render_png(values, Style("viridis", 0.0, 5000.0))) as memory, memory.open() as image:
        decoded = image.read()

    np.testing.assert_array_equal(decoded, expected)
    assert (decoded[3, :10] == 0).all() and (decoded[3, 10:] == 255).all()

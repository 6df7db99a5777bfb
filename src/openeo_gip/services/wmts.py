"""The WMTS 1.0.0 capabilities document of a service: one layer, the GoogleMapsCompatible tile matrix set
(Web Mercator, 256-pixel tiles), GetTile by KVP and RESTful templates on the same renderer as XYZ."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from openeo_gip.services.tiles import EDGE, TILE_SIZE, ZOOM0_SCALE

MATRIX_SET = "GoogleMapsCompatible"
MAX_WMTS_ZOOM = 20
_NS = {
    "": "http://www.opengis.net/wmts/1.0",
    "ows": "http://www.opengis.net/ows/1.1",
    "xlink": "http://www.w3.org/1999/xlink",
}


def _q(name: str) -> str:
    prefix, _, local = name.rpartition(":")
    return f"{{{_NS[prefix]}}}{local}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _q(tag), attributes)
    if text is not None:
        element.text = text
    return element


def restful_tile_template(url: str) -> str:
    """The RESTful GetTile address of the layer below the service's ``url``."""
    return f"{url}/tile/{{TileMatrix}}/{{TileRow}}/{{TileCol}}.png"


def capabilities(url: str, layer: str, title: str) -> bytes:
    """The capabilities document of the service at ``url`` (its KVP endpoint; RESTful below it)."""
    for prefix, namespace in _NS.items():
        ET.register_namespace(prefix, namespace)
    root = ET.Element(_q("Capabilities"), {"version": "1.0.0"})
    identification = _sub(root, "ows:ServiceIdentification")
    _sub(identification, "ows:Title", title)
    _sub(identification, "ows:ServiceType", "OGC WMTS")
    _sub(identification, "ows:ServiceTypeVersion", "1.0.0")

    metadata = _sub(root, "ows:OperationsMetadata")
    for operation in ("GetCapabilities", "GetTile"):
        get = _sub(
            _sub(_sub(_sub(metadata, "ows:Operation", name=operation), "ows:DCP"), "ows:HTTP"), "ows:Get"
        )
        get.set(_q("xlink:href"), f"{url}?")
        encoding = _sub(_sub(get, "ows:Constraint", name="GetEncoding"), "ows:AllowedValues")
        _sub(encoding, "ows:Value", "KVP")

    contents = _sub(root, "Contents")
    item = _sub(contents, "Layer")
    _sub(item, "ows:Title", title)
    _sub(item, "ows:Identifier", layer)
    box = _sub(item, "ows:WGS84BoundingBox")
    _sub(box, "ows:LowerCorner", "-180 -85.0511287798")
    _sub(box, "ows:UpperCorner", "180 85.0511287798")
    style = _sub(item, "Style", isDefault="true")
    _sub(style, "ows:Identifier", "default")
    _sub(item, "Format", "image/png")
    _sub(_sub(item, "TileMatrixSetLink"), "TileMatrixSet", MATRIX_SET)
    _sub(item, "ResourceURL", format="image/png", resourceType="tile", template=restful_tile_template(url))

    matrix_set = _sub(contents, "TileMatrixSet")
    _sub(matrix_set, "ows:Identifier", MATRIX_SET)
    _sub(matrix_set, "ows:SupportedCRS", "urn:ogc:def:crs:EPSG::3857")
    _sub(matrix_set, "WellKnownScaleSet", "urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible")
    for zoom in range(MAX_WMTS_ZOOM + 1):
        matrix = _sub(matrix_set, "TileMatrix")
        _sub(matrix, "ows:Identifier", str(zoom))
        _sub(matrix, "ScaleDenominator", repr(ZOOM0_SCALE / 2**zoom))
        _sub(matrix, "TopLeftCorner", f"{-EDGE!r} {EDGE!r}")
        _sub(matrix, "TileWidth", str(TILE_SIZE))
        _sub(matrix, "TileHeight", str(TILE_SIZE))
        _sub(matrix, "MatrixWidth", str(2**zoom))
        _sub(matrix, "MatrixHeight", str(2**zoom))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)

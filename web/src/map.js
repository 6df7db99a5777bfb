// One Leaflet map per page view: no base map (lab servers may be offline), only the server's own tiles.
/* global L */

export function createMap(element) {
  const map = L.map(element, { worldCopyJump: true, attributionControl: false }).setView([20, 0], 1);
  L.control.scale().addTo(map);
  return map;
}

// A collection's or result's bounding box [west, south, east, north], outlined, and the view fitted to it.
export function showExtent(map, bbox) {
  const [west, south, east, north] = bbox;
  const bounds = L.latLngBounds([south, west], [north, east]);
  L.rectangle(bounds, { color: "#d9480f", weight: 2, fill: false }).addTo(map);
  map.fitBounds(bounds, { maxZoom: 16 });
  return bounds;
}

// An XYZ layer ({z}/{x}/{y}.png) drawn above the extent; replaces the layer shown before.
export function showTiles(map, template) {
  if (map._dataLayer) map.removeLayer(map._dataLayer);
  map._dataLayer = L.tileLayer(template, { maxZoom: 20, opacity: 0.9, className: "data-tiles" }).addTo(map);
  return map._dataLayer;
}

// The openEO JavaScript client's secondary services against a real server (tests/services).
//
//   node js_client_services.mjs URL USER PASSWORD COLLECTION
//
// Creates an XYZ service of COLLECTION, lists and changes it with the client, and prints what the client
// saw as one JSON object on stdout; the Python test then fetches tiles at the URL it reports.
import { OpenEO } from '@openeo/js-client';

const [url, user, password, collection] = process.argv.slice(2);
const connection = await OpenEO.connect(url);
await connection.authenticateBasic(user, password);
const types = await connection.listServiceTypes();
const builder = await connection.buildProcess();
const cube = builder.load_collection(collection, null, null);
const service = await connection.createService(cube, 'xyz', 'From JS', null, true, { colormap: 'greys' });
const listed = await connection.listServices();
const described = await service.describeService();
await service.updateService({ title: 'Renamed in JS', configuration: { colormap: 'terrain' } });
const updated = await service.describeService();
console.log(JSON.stringify({
  types: Object.keys(types),
  id: service.id,
  listed: listed.map((item) => item.id),
  url: described.url,
  type: described.type,
  enabled: described.enabled,
  title: updated.title,
  configuration: updated.configuration,
}));

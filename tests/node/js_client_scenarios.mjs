// What a user of the openEO JavaScript client (and the Web Editor built on it) does, against a real server.
//
//   node js_client_scenarios.mjs URL USER PASSWORD WORKDIR SCENARIO...
//
// Prints one JSON object on stdout: the result of each scenario by name, or {"error": {...}} where the
// client threw. Files (results, downloads) go to WORKDIR; the Python test checks their values.
// The OIDC scenario logs in as the confidential client OPENEO_OIDC_CLIENT_ID (OPENEO_OIDC_CLIENT_SECRET)
// of the provider the server lists as OPENEO_OIDC_PROVIDER.
import fs from 'node:fs';
import path from 'node:path';
import { OpenEO } from '@openeo/js-client';

const [url, user, password, workdir, ...scenarioNames] = process.argv.slice(2);
const FINAL_STATUS = ['finished', 'error', 'canceled'];
const JOB_DEADLINE_MS = 60_000;

let loggedIn = null;
async function connection() {
  if (loggedIn === null) {
    loggedIn = await OpenEO.connect(url);
    await loggedIn.authenticateBasic(user, password);
  }
  return loggedIn;
}

function errorOf(error) {
  return {
    status: error.response ? error.response.status : null,
    code: error.code || null,
    message: String(error.message),
  };
}

async function readText(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function saveStream(stream, name) {
  const target = path.join(workdir, name);
  await new Promise((resolve, reject) => {
    const out = fs.createWriteStream(target);
    out.on('close', resolve);
    out.on('error', reject);
    stream.on('error', reject);
    stream.pipe(out);
  });
  return target;
}

// The NDVI of every date, averaged over time, as a GeoTIFF: built with the client's process builder.
async function ndviMeanGraph(con) {
  const builder = await con.buildProcess();
  const cube = builder.load_collection('S2', null, null, ['B04', 'B08']);
  const ndvi = builder.ndvi(cube, 'B08', 'B04');
  const mean = builder.reduce_dimension(ndvi, function (data) { return this.mean(data); }, 't');
  return builder.save_result(mean, 'GTiff');
}

const scenarios = {
  async capabilities() {
    const con = await OpenEO.connect(url);
    const capabilities = con.capabilities();
    const features = ['listCollections', 'listProcesses', 'computeResult', 'createJob', 'startJob',
      'describeJob', 'debugJob', 'listResults', 'uploadFile', 'listFiles', 'deleteFile',
      'setUserProcess', 'listUserProcesses', 'validateProcess', 'authenticateBasic'];
    const fileTypes = await con.listFileTypes();
    const providers = await con.listAuthProviders();
    return {
      api_version: capabilities.apiVersion(),
      backend_version: capabilities.backendVersion(),
      features: Object.fromEntries(features.map(name => [name, capabilities.hasFeature(name)])),
      output_formats: Object.keys(fileTypes.getOutputTypes()),
      auth_providers: providers.map(provider => provider.getType()),
    };
  },

  async login() {
    const con = await connection();
    const account = await con.describeAccount();
    let refused = null;
    try {
      await (await OpenEO.connect(url)).authenticateBasic(user, password + ' typo');
    } catch (error) {
      refused = errorOf(error);
    }
    return { authenticated: con.isAuthenticated(), user_id: account.user_id, wrong_password: refused };
  },

  // The client credentials grant, which the JS client supports in every environment (Node too).
  async oidc_login() {
    const con = await OpenEO.connect(url);
    const providers = await con.listAuthProviders();
    const provider = providers.find(p => p.getType() === 'oidc' && p.getProviderId() === process.env.OPENEO_OIDC_PROVIDER);
    provider.setGrant('client_credentials');
    provider.setClientId(process.env.OPENEO_OIDC_CLIENT_ID);
    provider.setClientSecret(process.env.OPENEO_OIDC_CLIENT_SECRET);
    await provider.login();
    const account = await con.describeAccount();
    const result = await con.computeResult({ sum: { process_id: 'add', arguments: { x: 3, y: 5 }, result: true } });
    return { account: account.name, sum: JSON.parse(await readText(result.data)) };
  },

  async discovery() {
    const con = await connection();
    const collections = await con.listCollections();
    const processes = await con.listProcesses();
    const s2 = await con.describeCollection('S2');
    const builder = await con.buildProcess();
    return {
      collections: collections.collections.map(c => c.id),
      processes: processes.processes.map(p => p.id),
      s2: { id: s2.id, dimensions: Object.keys(s2['cube:dimensions']), bands: s2.summaries['eo:bands'].map(b => b.name) },
      builder_has_load_collection: builder.supports('load_collection'),
    };
  },

  async ndvi_sync() {
    const con = await connection();
    const result = await con.computeResult(await ndviMeanGraph(con));
    return { type: result.type, file: await saveStream(result.data, 'ndvi_sync.tif') };
  },

  async batch_job() {
    const con = await connection();
    const job = await con.createJob(await ndviMeanGraph(con), 'JS NDVI mean');
    const created = job.status;
    await job.startJob();
    const statuses = [created, job.status];
    const started = Date.now();
    while (!FINAL_STATUS.includes(job.status) && Date.now() - started < JOB_DEADLINE_MS) {
      await new Promise(resolve => setTimeout(resolve, 300));
      await job.describeJob();
      if (statuses[statuses.length - 1] !== job.status) statuses.push(job.status);
    }
    // The log iterator's first request sends offset= (empty); its second starts after the last entry.
    const logs = job.debugJob();
    const first = await logs.nextLogs();
    const second = await logs.nextLogs();
    const assets = await job.listResults();
    const folder = path.join(workdir, 'job');
    fs.mkdirSync(folder, { recursive: true });
    const listed = await con.listJobs();
    return {
      id: job.id,
      title: job.title,
      statuses,
      listed: listed.map(j => j.id),
      logs: first.map(entry => ({ id: entry.id, level: entry.level, message: entry.message })),
      logs_after_last: second.length,
      assets: assets.map(asset => ({ href: asset.href, type: asset.type })),
      downloaded: await job.downloadResults(folder),
    };
  },

  async files() {
    const con = await connection();
    const source = path.join(workdir, 'upload.bin');
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
    fs.writeFileSync(source, bytes);
    const uploaded = await con.uploadFile(source, 'js/sub folder/upload.bin');
    const listed = (await con.listFiles()).map(f => ({ path: f.path, size: f.size }));
    const file = await con.getFile('js/sub folder/upload.bin');
    const target = path.join(workdir, 'downloaded.bin');
    await file.downloadFile(target);
    await file.deleteFile();
    const afterDelete = (await con.listFiles()).map(f => f.path);
    return { source, uploaded: { path: uploaded.path, size: uploaded.size }, listed, downloaded: target, after_delete: afterDelete };
  },

  async user_process() {
    const con = await connection();
    const id = 'js_scaled_ndvi';
    await con.setUserProcess(id, {
      summary: 'NDVI times a factor',
      parameters: [
        { name: 'data', description: 'A cube with B04 and B08', schema: { type: 'object', subtype: 'datacube' } },
        { name: 'factor', description: 'Multiplier', schema: { type: 'number' }, optional: true, default: 1 },
      ],
      process_graph: {
        ndvi: { process_id: 'ndvi', arguments: { data: { from_parameter: 'data' }, nir: 'B08', red: 'B04' } },
        scale: {
          process_id: 'apply',
          arguments: {
            data: { from_node: 'ndvi' },
            process: { process_graph: { times: { process_id: 'multiply', arguments: { x: { from_parameter: 'x' }, y: { from_parameter: 'factor' } }, result: true } } },
          },
          result: true,
        },
      },
    });
    const listed = (await con.listUserProcesses()).map(p => p.id);
    const described = await con.getUserProcess(id);
    // The builder knows the user's processes once listed, as in the Web Editor.
    const builder = await con.buildProcess();
    const cube = builder.load_collection('S2', null, null, ['B04', 'B08']);
    const scaled = builder.process(`${id}@user`, { data: cube, factor: 100 });
    const peak = builder.reduce_dimension(scaled, function (data) { return this.max(data); }, 't');
    const result = await con.computeResult(builder.save_result(peak, 'GTiff'));
    const file = await saveStream(result.data, 'udp_max.tif');
    await described.deleteUserProcess();
    const afterDelete = (await con.listUserProcesses()).map(p => p.id);
    return {
      listed,
      described: { id: described.id, summary: described.summary, parameters: described.parameters.map(p => p.name) },
      file,
      after_delete: afterDelete,
    };
  },

  // The client's paged listings (a limit, then the next links) against its one-request listings.
  async paging() {
    const con = await connection();
    const names = ['page_a', 'page_b', 'page_c'];
    const source = path.join(workdir, 'page.txt');
    fs.writeFileSync(source, 'a page');
    const graph = { only: { process_id: 'add', arguments: { x: 1, y: 2 }, result: true } };
    const jobs = [];
    for (const name of names) {
      await con.setUserProcess(name, { process_graph: graph });
      await con.uploadFile(source, `paging/${name}.txt`);
      jobs.push(await con.createJob(graph, name));
    }
    async function paged(pages, key) {
      const seen = [];
      let count = 0;
      for await (const page of pages) {
        count += 1;
        seen.push(...page.map(item => item[key]));
      }
      return { pages: count, seen };
    }
    const ids = list => list.map(item => item.id);
    const result = {
      collections: { ...(await paged(con.paginateCollections(7), 'id')), all: ids((await con.listCollections()).collections) },
      processes: { ...(await paged(con.paginateProcesses(null, 50), 'id')), all: ids((await con.listProcesses()).processes) },
      jobs: { ...(await paged(con.paginateJobs(2), 'id')), all: ids(await con.listJobs()) },
      files: { ...(await paged(con.paginateFiles(2), 'path')), all: (await con.listFiles()).map(f => f.path) },
      process_graphs: { ...(await paged(con.paginateUserProcesses(2), 'id')), all: ids(await con.listUserProcesses()) },
    };
    for (const [index, name] of names.entries()) {
      await (await con.getUserProcess(name)).deleteUserProcess();
      await (await con.getFile(`paging/${name}.txt`)).deleteFile();
      await jobs[index].deleteJob();
    }
    return result;
  },

  async validate() {
    const con = await connection();
    const valid = await con.validateProcess(await ndviMeanGraph(con));
    const invalid = await con.validateProcess({
      load: { process_id: 'load_collection', arguments: { id: 'NOPE', spatial_extent: null, temporal_extent: null } },
      add: { process_id: 'add', arguments: { x: 1 }, result: true },
    });
    return { valid: valid.map(e => e.code), invalid: invalid.map(e => e.code) };
  },
};

const results = {};
for (const name of scenarioNames) {
  try {
    results[name] = await scenarios[name]();
  } catch (error) {
    results[name] = { error: errorOf(error) };
  }
}
process.stdout.write(JSON.stringify(results));

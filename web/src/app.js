// The views of the page, one per address after the '#': login, collections, jobs, files, processes, admin.
import { ApiError, call, get, loginBasic, logout, token } from "./api.js";
import { bytes, h, table } from "./dom.js";
import { createMap, showExtent, showTiles } from "./map.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const message = document.getElementById("message");
const POLL_MS = 2000;
let timers = [];
let me = null;

function say(text, kind = "error") {
  message.textContent = text;
  message.className = text ? kind : "";
}

// Repeats `task` while the current view is shown (route() stops it); the first run is immediate.
function poll(task) {
  const run = () => task().catch((error) => say(error.message));
  run();
  timers.push(setInterval(run, POLL_MS));
}

function show(...children) {
  main.replaceChildren(...children);
}

function button(label, onclick, attributes = {}) {
  const run = async (event) => {
    event.preventDefault();
    try {
      say("");
      await onclick();
    } catch (error) {
      say(error.message);
    }
  };
  return h("button", { type: "button", onclick: run, ...attributes }, label);
}

// ---- logging in

async function loginView() {
  const name = h("input", { id: "username", name: "username", autocomplete: "username", required: true });
  const password = h("input", { id: "password", name: "password", type: "password", required: true });
  const form = h(
    "form",
    { id: "login-form" },
    h("label", { for: "username" }, "User name"),
    name,
    h("label", { for: "password" }, "Password"),
    password,
    h("button", { type: "submit" }, "Log in"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await loginBasic(name.value, password.value);
      say("");
      window.location.hash = "#collections";
    } catch (error) {
      say(`Login failed: ${error.message}`);
    }
  });
  show(h("h1", {}, "Log in"), form, await oidcNote());
}

async function oidcNote() {
  const { endpoints } = await get("/");
  if (!endpoints.some((endpoint) => endpoint.path === "/credentials/oidc")) {
    return h("p", {}, "This server has no OpenID Connect providers: log in with the account its administrator made.");
  }
  const { providers } = await get("/credentials/oidc");
  return h(
    "section",
    { id: "oidc" },
    h("h2", {}, "OpenID Connect"),
    h("p", {}, "This page logs in with a name and password only. With an OpenID Connect account, use an openEO client "
      + "(the Python client's authenticate_oidc(), the Web Editor) with one of these providers:"),
    h("ul", {}, providers.map((provider) => h("li", {}, h("a", { href: provider.issuer }, provider.title), ` (${provider.id})`))),
  );
}

// ---- collections

async function collectionsView() {
  const { collections } = await get("/collections");
  show(
    h("h1", {}, "Collections"),
    table(
      ["Collection", "Title", "Dates"],
      collections.map((collection) => [
        h("a", { href: `#collections/${encodeURIComponent(collection.id)}` }, collection.id),
        collection.title || "",
        period(collection),
      ]),
    ),
  );
}

// "2023-01-05 to 2023-12-01" from the temporal extent; nothing for data without dates.
function period(collection) {
  const [start, end] = collection.extent?.temporal?.interval?.[0] || [];
  if (!start && !end) return "";
  return `${(start || "..").slice(0, 10)} to ${(end || "..").slice(0, 10)}`;
}

function bandsOf(collection) {
  const dimension = Object.values(collection["cube:dimensions"] || {}).find((d) => d.type === "bands");
  if (dimension?.values) return dimension.values;
  return (collection.summaries?.["eo:bands"] || []).map((band) => band.name);
}

function datesOf(collection) {
  const dimension = Object.values(collection["cube:dimensions"] || {}).find((d) => d.type === "temporal");
  if (dimension?.values) return dimension.values;
  return (collection.extent?.temporal?.interval?.[0] || []).filter(Boolean);
}

function loadProcess(id, band) {
  const args = { id, spatial_extent: null, temporal_extent: null };
  if (band) args.bands = [band];
  return { process_graph: { load: { process_id: "load_collection", arguments: args, result: true } } };
}

// The user's XYZ service showing one band of the collection: made the first time it is asked for, its
// colour range changed (PATCH) when the user asks for another one.
async function quickLookService(id, band, configuration) {
  const title = `Quick look: ${id} ${band || ""}`.trim();
  const { services } = await get("/services");
  const found = services.find((candidate) => candidate.title === title && candidate.type === "XYZ");
  if (!found) {
    await call("POST", "/services", { json: { type: "XYZ", title, process: loadProcess(id, band), configuration } });
    return (await get("/services")).services.find((candidate) => candidate.title === title);
  }
  const service = await get(`/services/${found.id}`);
  if (JSON.stringify(service.configuration) !== JSON.stringify(configuration)) {
    await call("PATCH", `/services/${found.id}`, { json: { configuration } });
  }
  return service;
}

async function collectionView(id) {
  const collection = await get(`/collections/${encodeURIComponent(id)}`);
  const bands = bandsOf(collection);
  const dates = datesOf(collection);
  const bandChoice = h("select", { id: "band" }, bands.map((band) => h("option", { value: band }, band)));
  // Without a range each tile stretches its own values, and neighbouring tiles do not match.
  const low = h("input", { id: "min", type: "number", step: "any", placeholder: "lowest value" });
  const high = h("input", { id: "max", type: "number", step: "any", placeholder: "highest value" });
  const address = h("p", { id: "service-url" });
  const configuration = () => {
    const chosen = bandChoice.value ? { bands: [bandChoice.value] } : {};
    if (low.value !== "" && high.value !== "") Object.assign(chosen, { min: Number(low.value), max: Number(high.value) });
    return chosen;
  };
  const mapElement = h("div", { id: "map", class: "map" });
  show(
    h("h1", {}, collection.title || id),
    h("p", {}, collection.description || ""),
    h("dl", {}, h("dt", {}, "Bands"), h("dd", { id: "bands" }, bands.join(", ") || "none"),
      h("dt", {}, "Dates"), h("dd", { id: "dates" }, dates.map((date) => date.slice(0, 10)).join(", ") || "none")),
    h("div", { class: "actions" },
      bands.length ? bandChoice : null, h("label", { for: "min" }, "from"), low, h("label", { for: "max" }, "to"), high,
      button("Show quick look", async () => {
        const chosen = configuration();
        const service = await quickLookService(id, bandChoice.value, chosen);
        const template = `${service.url}/{z}/{x}/{y}.png`;
        // Browsers keep tiles for a minute: a new range must not show the old range's tiles.
        showTiles(map, `${template}?look=${encodeURIComponent(JSON.stringify(chosen))}`);
        say(`Quick look of ${id} from the XYZ service ${service.id}`, "info");
        address.textContent = `The same tiles in QGIS (XYZ Tiles): ${template}`;
      }, { id: "quick-look" }),
      button("Make a batch job", async () => {
        const process = loadProcess(id, bandChoice.value);
        process.process_graph.load.result = false;
        process.process_graph.save = {
          process_id: "save_result",
          arguments: { data: { from_node: "load" }, format: "GTiff" },
          result: true,
        };
        await call("POST", "/jobs", { json: { title: `${id} ${bandChoice.value || ""} as GeoTIFF`.trim(), process } });
        window.location.hash = "#jobs";
      }, { id: "make-job" }),
    ),
    mapElement,
    address,
  );
  const map = createMap(mapElement);
  const bbox = collection.extent?.spatial?.bbox?.[0];
  if (bbox) showExtent(map, bbox);
}

// ---- batch jobs

function progressBar(job) {
  const value = job.status === "finished" ? 100 : job.progress || 0;
  return h("progress", { max: 100, value, title: `${Math.round(value)} %` });
}

async function jobsView() {
  const list = h("div", { id: "jobs" });
  show(h("h1", {}, "Batch jobs"), h("p", {}, "Updated every two seconds."), list);
  poll(async () => {
    const { jobs } = await get("/jobs");
    list.replaceChildren(
      jobs.length === 0
        ? h("p", {}, "No jobs yet: make one from a collection's page, or with any openEO client.")
        : table(
          ["Job", "Status", "Progress", "Created"],
          jobs.map((job) => [
            h("a", { href: `#jobs/${job.id}` }, job.title || job.id),
            h("span", { class: `status ${job.status}` }, job.status),
            progressBar(job),
            (job.created || "").replace("T", " ").slice(0, 19),
          ]),
        ),
    );
  });
}

async function jobView(id) {
  const status = h("span", { id: "job-status", class: "status" });
  const progress = h("progress", { id: "job-progress", max: 100, value: 0 });
  const logs = h("pre", { id: "logs", class: "logs" });
  const results = h("div", { id: "results" });
  const mapElement = h("div", { id: "map", class: "map" });
  const path = `/jobs/${encodeURIComponent(id)}`;
  const job = await get(path);
  show(
    h("h1", {}, job.title || id),
    h("p", {}, "Status: ", status, " ", progress),
    h("div", { class: "actions" },
      button("Start", () => call("POST", `${path}/results`), { id: "start-job" }),
      button("Cancel", () => call("DELETE", `${path}/results`), { id: "cancel-job" }),
      button("Delete", async () => {
        await call("DELETE", path);
        window.location.hash = "#jobs";
      }, { id: "delete-job" })),
    h("h2", {}, "Results"), results, mapElement,
    h("h2", {}, "Logs"), logs,
  );
  const map = createMap(mapElement);
  let shownResults = false;
  poll(async () => {
    const current = await get(path);
    status.textContent = current.status;
    status.className = `status ${current.status}`;
    progress.value = current.status === "finished" ? 100 : current.progress || 0;
    const { logs: entries } = await get(`${path}/logs`);
    logs.textContent = entries.map((entry) => `${entry.time || ""} ${entry.level} ${entry.message}`).join("\n");
    if (current.status === "finished" && !shownResults) {
      shownResults = true;
      showResults(await get(`${path}/results`), results, map);
    }
  });
}

function showResults(document, element, map) {
  const assets = Object.entries(document.assets || {});
  element.replaceChildren(
    h("ul", {}, assets.map(([name, asset]) => h("li", {},
      h("a", { href: asset.href, download: name, class: "download" }, name), ` ${asset.type || ""} `,
      asset["file:size"] ? bytes(asset["file:size"]) : ""))),
  );
  const bbox = document.extent?.spatial?.bbox?.[0] || document.bbox;
  if (bbox) showExtent(map, bbox);
  const preview = (document.links || []).find((link) => link.rel === "xyz");
  if (preview) {
    showTiles(map, preview.href);
    element.append(h("p", { id: "preview-note" }, `On the map: ${preview.title || "the result"}.`));
  }
}

// ---- files and user-defined processes

async function filesView() {
  const list = h("div", { id: "files" });
  const chooser = h("input", { type: "file", id: "upload" });
  const refresh = async () => {
    const { files } = await get("/files");
    list.replaceChildren(table(["File", "Size", "Modified", ""], files.map((file) => [
      file.path, bytes(file.size), (file.modified || "").replace("T", " ").slice(0, 19),
      button("Delete", async () => {
        await call("DELETE", `/files/${file.path.split("/").map(encodeURIComponent).join("/")}`);
        await refresh();
      }),
    ])));
  };
  show(h("h1", {}, "Your files"),
    h("div", { class: "actions" }, chooser, button("Upload", async () => {
      const file = chooser.files[0];
      if (!file) throw new Error("Choose a file first.");
      await call("PUT", `/files/${encodeURIComponent(file.name)}`, { body: file });
      say(`Uploaded ${file.name}`, "info");
      await refresh();
    }, { id: "upload-button" })),
    list);
  await refresh();
}

async function processesView() {
  const list = h("div", { id: "processes" });
  const refresh = async () => {
    const { processes } = await get("/process_graphs");
    list.replaceChildren(processes.length === 0
      ? h("p", {}, "No user-defined processes: store one with an openEO client (save_user_defined_process).")
      : table(["Process", "Summary", ""], processes.map((process) => [
        process.id, process.summary || "",
        button("Delete", async () => {
          await call("DELETE", `/process_graphs/${encodeURIComponent(process.id)}`);
          await refresh();
        }),
      ])));
  };
  show(h("h1", {}, "Your processes"), list);
  await refresh();
}

// ---- the administrator's view

async function adminView() {
  const users = h("div", { id: "admin-users" });
  const jobs = h("div", { id: "admin-jobs" });
  show(h("h1", {}, "Administration"), h("h2", {}, "Users"), users, h("h2", {}, "Queued and running jobs"), jobs);
  poll(async () => {
    const overview = await get("/admin/users");
    users.replaceChildren(table(["User", "Roles", "Storage used", "Quota", "Jobs"], overview.users.map((user) => [
      user.name, user.roles.join(", "), bytes(user.storage.used), bytes(user.storage.quota),
      Object.entries(user.jobs).map(([state, count]) => `${state}: ${count}`).join(", "),
    ])));
    const active = await get("/admin/jobs");
    jobs.replaceChildren(active.jobs.length === 0 ? h("p", {}, "Nothing queued or running.")
      : table(["Job", "User", "Status", "Progress", "Started"], active.jobs.map((job) => [
        job.title || job.id, job.user, job.status, progressBar(job), (job.started || "").replace("T", " ").slice(0, 19),
      ])));
  });
}

// ---- navigation

const VIEWS = {
  collections: (rest) => (rest ? collectionView(rest) : collectionsView()),
  jobs: (rest) => (rest ? jobView(rest) : jobsView()),
  files: () => filesView(),
  processes: () => processesView(),
  admin: () => adminView(),
};

function navigation() {
  const links = [["collections", "Collections"], ["jobs", "Jobs"], ["files", "Files"], ["processes", "Processes"]];
  if (me?.roles?.includes("admin")) links.push(["admin", "Admin"]);
  nav.replaceChildren(
    ...links.map(([view, label]) => h("a", { href: `#${view}`, id: `nav-${view}` }, label)),
    h("span", { id: "who" }, me ? me.name || me.user_id : ""),
    button("Log out", () => {
      logout();
      me = null;
      window.location.hash = "#login";
    }, { id: "logout" }),
  );
}

async function route() {
  timers.forEach(clearInterval);
  timers = [];
  const [view, ...rest] = window.location.hash.slice(1).split("/");
  if (!token() || view === "login") {
    nav.replaceChildren();
    await loginView();
    return;
  }
  try {
    me = me || (await get("/me"));
    navigation();
    await (VIEWS[view] || VIEWS.collections)(rest.map(decodeURIComponent).join("/"));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      logout();
      me = null;
      say("Your login has expired: log in again.");
      window.location.hash = "#login";
    } else {
      say(error.message);
    }
  }
}

window.addEventListener("hashchange", route);
route();

// The openEO API of the server that serves this page, called with the logged-in user's token.

// The page lives at <server>/app/, so the API is one level up (also behind a proxy's path prefix).
export const API_BASE = new URL("..", window.location.href).href.replace(/\/$/, "");
const TOKEN_KEY = "openeo-gip-token";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function logout() {
  sessionStorage.removeItem(TOKEN_KEY);
}

async function failure(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not an openEO error document: the status says enough
  }
  return new ApiError(response.status, body);
}

// GET /credentials/basic with the name and password; keeps the token for the session of the tab.
export async function loginBasic(name, password) {
  const credentials = btoa(unescape(encodeURIComponent(`${name}:${password}`)));
  const response = await fetch(`${API_BASE}/credentials/basic`, {
    headers: { Authorization: `Basic ${credentials}` },
  });
  if (!response.ok) throw await failure(response);
  const { access_token } = await response.json();
  sessionStorage.setItem(TOKEN_KEY, `basic//${access_token}`);
}

// Any call of the API: JSON in, JSON (or nothing) out; an openEO error becomes an ApiError.
export async function call(method, path, { json, body, headers = {} } = {}) {
  const options = { method, headers: { ...headers } };
  if (token()) options.headers.Authorization = `Bearer ${token()}`;
  if (json !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(json);
  } else if (body !== undefined) {
    options.headers["Content-Type"] = "application/octet-stream";
    options.body = body;
  }
  const response = await fetch(`${API_BASE}${path}`, options);
  if (!response.ok) throw await failure(response);
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : null;
}

export const get = (path) => call("GET", path);

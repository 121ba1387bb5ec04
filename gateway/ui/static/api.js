// The dashboard is a client of the gateway's own GraphQL API, authenticated as any client is:
// an API key (X-API-Key) or a bearer token, entered once and kept in sessionStorage.

const STORE = 'runs-gateway.credential';
export const ENDPOINT = new URL('../graphql', location.href).href;
/** Counted so tests and the benchmark can see that pages already held are not fetched again. */
export const counters = { queries: 0 };

export class ApiError extends Error {
  constructor(message, code) { super(message); this.code = code; }
}

export function credential() {
  try { return JSON.parse(sessionStorage.getItem(STORE)); } catch { return null; }
}
export function signIn(kind, value) {
  sessionStorage.setItem(STORE, JSON.stringify({ kind, value }));
}
export function signOut() { sessionStorage.removeItem(STORE); }

function authHeaders() {
  const c = credential();
  if (!c) return {};
  return c.kind === 'apiKey' ? { 'x-api-key': c.value } : { authorization: `Bearer ${c.value}` };
}

/** `{data, errors}`; throws ApiError when nothing usable came back (UNAUTHENTICATED included). */
export async function gql(query, variables = {}) {
  counters.queries += 1;
  let resp;
  try {
    resp = await fetch(ENDPOINT, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeaders() },
      body: JSON.stringify({ query, variables }),
    });
  } catch (e) {
    throw new ApiError(`the gateway cannot be reached (${e.message})`, 'NETWORK');
  }
  let body;
  try { body = await resp.json(); } catch {
    throw new ApiError(`the gateway answered HTTP ${resp.status} without JSON`, 'INTERNAL');
  }
  const errors = body.errors || [];
  const unauth = errors.find((e) => e.extensions && e.extensions.code === 'UNAUTHENTICATED');
  if (resp.status === 401 || unauth) {
    throw new ApiError((unauth && unauth.message) || 'sign in first', 'UNAUTHENTICATED');
  }
  if (!body.data) {
    const first = errors[0] || {};
    throw new ApiError(errors.map((e) => e.message).join('; ') || `HTTP ${resp.status}`,
      first.extensions && first.extensions.code);
  }
  return { data: body.data, errors };
}

/** graphql-transport-ws over a WebSocket; the credential travels in connection_init (a browser
 * WebSocket cannot send headers, and EventSource cannot either). Returns a stop function. */
export function subscribe(query, variables, { next, error, complete }) {
  const url = new URL(ENDPOINT);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url.href, 'graphql-transport-ws');
  const c = credential();
  let finished = false;
  const end = (fn, arg) => { if (!finished) { finished = true; fn(arg); } };
  ws.onopen = () => {
    const payload = !c ? {} : c.kind === 'apiKey' ? { apiKey: c.value } : { token: c.value };
    ws.send(JSON.stringify({ type: 'connection_init', payload }));
  };
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    if (msg.type === 'connection_ack') {
      ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
    } else if (msg.type === 'ping') {
      ws.send(JSON.stringify({ type: 'pong' }));
    } else if (msg.type === 'next') {
      const errs = msg.payload.errors || [];
      if (!msg.payload.data && errs.length) {
        const code = errs[0].extensions && errs[0].extensions.code;
        end(error, new ApiError(errs.map((e) => e.message).join('; '), code));
      } else next(msg.payload.data, errs);
    } else if (msg.type === 'error') {
      const errs = msg.payload || [];
      const code = errs[0] && errs[0].extensions && errs[0].extensions.code;
      end(error, new ApiError(errs.map((e) => e.message).join('; '), code));
    } else if (msg.type === 'complete') {
      end(complete);
      ws.close(1000);
    }
  };
  ws.onclose = (event) => {
    if (event.code === 4401 || event.code === 4403) {
      end(error, new ApiError(event.reason || 'not allowed', 'UNAUTHENTICATED'));
    } else if (event.code !== 1000) {
      end(error, new ApiError(`the live connection closed (${event.code} ${event.reason})`, 'NETWORK'));
    }
  };
  return () => { finished = true; ws.close(1000); };
}

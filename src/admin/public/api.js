// The console's calls to its server: same origin, the session cookie, the CSRF token on every action.

let csrfToken = null;
let onSignedOut = () => {};

/** Remembers the session's CSRF token (from /admin/api/me or the login answer). */
export function useCsrf(token) {
  csrfToken = token;
}

/** What to do when the server says the session is gone (401): show the sign-in form. */
export function whenSignedOut(handler) {
  onSignedOut = handler;
}

/** An API error with the server's message and status. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function request(method, path, body) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    if (csrfToken) headers['x-csrf-token'] = csrfToken;
  }
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  if (response.status === 401 && !path.endsWith('/login')) onSignedOut();
  if (!response.ok && response.status !== 409) throw new ApiError(response.status, json?.error ?? `${response.status} ${response.statusText}`);
  return json;
}

export const get = (path) => request('GET', path);
export const post = (path, body = {}) => request('POST', path, body);

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== '' && value !== null && value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

import type { HttpResponse } from './uws.js';

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  409: '409 Conflict',
  410: '410 Gone',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  416: '416 Range Not Satisfiable',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  502: '502 Bad Gateway',
  503: '503 Service Unavailable',
};

export const TEXT_PLAIN = 'text/plain; charset=utf-8';

/** Writes a whole response in one corked write; a no-op when the client already went away. */
export function respond(
  res: HttpResponse,
  state: { aborted: boolean },
  status: number,
  contentType: string,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (state.aborted) return;
  state.aborted = true;
  res.cork(() => {
    res
      .writeStatus(STATUS_TEXT[status] ?? `${status} Status`)
      .writeHeader('Content-Type', contentType)
      .writeHeader('Cache-Control', 'no-store');
    for (const [name, value] of Object.entries(headers)) res.writeHeader(name, value);
    res.end(body);
  });
}

export const respondJson = (res: HttpResponse, state: { aborted: boolean }, status: number, body: unknown) =>
  respond(res, state, status, 'application/json', JSON.stringify(body));

export const respondXml = (res: HttpResponse, state: { aborted: boolean }, status: number, body: string) =>
  respond(res, state, status, 'text/xml', body);

export const respondText = (res: HttpResponse, state: { aborted: boolean }, status: number, body: string) =>
  respond(res, state, status, TEXT_PLAIN, body);

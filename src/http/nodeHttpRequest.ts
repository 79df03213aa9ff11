import type { IncomingMessage } from 'node:http';
import type { HttpRequest } from './transportTypes.js';

/** uWS's words, so a misuse reads the same on both transports. */
const GONE = 'uWS.HttpRequest must not be accessed after await or route handler return. See documentation for uWS.HttpRequest and consult the user manual.';

/** A uWS-style request over node's IncomingMessage, valid until `invalidate()` (the route handler returned). */
export class NodeHttpRequest implements HttpRequest {
  params: readonly string[] = [];
  private valid = true;

  constructor(
    private readonly message: IncomingMessage,
    private readonly path: string,
    private readonly query: string | undefined,
    private readonly method: string,
  ) {}

  getHeader(lowerCaseKey: string): string {
    this.check();
    return this.message.headersDistinct[lowerCaseKey]?.[0] ?? '';
  }

  getParameter(index: number): string {
    this.check();
    return this.params[index] ?? '';
  }

  getUrl(): string {
    this.check();
    return this.path;
  }

  getMethod(): string {
    this.check();
    return this.method;
  }

  getQuery(): string | undefined {
    this.check();
    return this.query;
  }

  invalidate(): void {
    this.valid = false;
  }

  private check(): void {
    if (!this.valid) throw new Error(GONE);
  }
}

/** Splits a request target into path and query as uWS does (the query undefined without a `?`). */
export function splitTarget(url: string): { path: string; query: string | undefined } {
  const at = url.indexOf('?');
  return at < 0 ? { path: url, query: undefined } : { path: url.slice(0, at), query: url.slice(at + 1) };
}

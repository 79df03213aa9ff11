import { reasonOf } from '../errors.js';
import { secretsEqual } from '../security/secretsEqual.js';
import type { Logger } from '../log.js';
import type { Metrics } from './metrics.js';
import { respond, respondText, TEXT_PLAIN } from './respond.js';
import type { HttpRequest, HttpResponse } from './uws.js';

export interface MetricsRouteDeps {
  metrics: Metrics;
  logger: Logger;
  /** METRICS_TOKEN: when set, a scrape must send it as a bearer token. */
  token: string | undefined;
}

/** The token of an `Authorization: Bearer TOKEN` header, or undefined for any other header. */
export function bearerToken(header: string): string | undefined {
  return /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)?.[1];
}

/** Whether an Authorization header carries this bearer token; compared in constant time (as digests, any length). */
export function bearerMatches(header: string, token: string): boolean {
  const presented = bearerToken(header);
  return presented !== undefined && secretsEqual(presented, token);
}

/** `GET /metrics`: the Prometheus text of the app and the process; 401 without the bearer token when one is set. */
export function metricsHandler(deps: MetricsRouteDeps): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    const state = { aborted: false };
    // Headers can be read only before the first await.
    if (deps.token !== undefined && !bearerMatches(req.getHeader('authorization'), deps.token)) {
      respond(res, state, 401, TEXT_PLAIN, 'unauthorized', { 'WWW-Authenticate': 'Bearer realm="metrics"' });
      return;
    }
    res.onAborted(() => {
      state.aborted = true;
    });
    deps.metrics
      .render()
      .then((body) => respond(res, state, 200, deps.metrics.contentType, body))
      .catch((error: unknown) => {
        deps.logger.warn({ err: reasonOf(error) }, 'metrics could not be rendered');
        respondText(res, state, 500, 'metrics unavailable');
      });
  };
}

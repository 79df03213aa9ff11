import { createInspector, createWebSocketInspector } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import type { InspectionEvent } from 'xstate';
import type { Logger } from '../log.js';
import { redactInspectionEvent } from './sanitize.js';

export interface CallInspector {
  /** Pass to `createActor(..., { inspect })`. */
  inspect: (event: InspectionEvent) => void;
  stop(): void;
}

/**
 * How every call inspector treats events: one allow-listing pass (redactInspectionEvent) over each whole event,
 * as the last step before it is sent. Tests build an inspector with these very options to see what would be sent.
 */
export const CALL_INSPECTOR_OPTIONS = {
  serialize: redactInspectionEvent,
} as const satisfies NonNullable<Parameters<typeof createInspector>[1]>;

/**
 * Streams every call actor's events, sanitized, to a WebSocket inspector at `url`. With `bridgePort`, also starts
 * @statelyai/inspect's local bridge there: open http://localhost:PORT in a browser to watch calls in Stately's
 * inspector (the page embeds https://stately.ai/inspect).
 */
export function createCallInspector(options: { url: string; bridgePort?: number; logger: Logger }): CallInspector {
  const bridge = options.bridgePort === undefined ? null : createInspectorServer({ port: options.bridgePort, autoOpen: false });
  const inspector = createWebSocketInspector({
    url: options.url,
    ...CALL_INSPECTOR_OPTIONS,
    // Only recent events are kept while no inspector listens.
    maxDeferredEvents: 500,
  });
  if (bridge) options.logger.info({ url: `http://localhost:${options.bridgePort}` }, 'inspector bridge listening: open it in a browser');
  return {
    inspect: (event) => inspector.inspect.next?.(event),
    stop: () => {
      inspector.stop();
      bridge?.stop();
    },
  };
}

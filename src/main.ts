import { bootstrap } from './app.js';
import { ConfigError, parseConfig } from './config.js';
import { createCallInspector } from './inspect/callInspector.js';
import { createLogger } from './log.js';

/**
 * Entry point. Production: `node --env-file-if-exists=.env dist/src/main.js` after `npm run build` (the Dockerfile's
 * CMD), so a supervisor's SIGTERM reaches this process; development: `npm start` (tsx). Config from the environment;
 * a mistake is one line on stderr and exit 2. `--inspect` (or INSPECT=1) streams call actors to the inspector.
 * SIGTERM or SIGINT drains live calls (up to DRAIN_TIMEOUT_MS) and exits 0; a second signal exits 1 at once.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const inspectOn = config.INSPECT || process.argv.includes('--inspect');
  const inspector = inspectOn
    ? createCallInspector({ url: config.INSPECT_URL, bridgePort: Number(new URL(config.INSPECT_URL).port) || 8090, logger })
    : null;

  const app = await bootstrap(config, logger, inspector ? { inspect: inspector.inspect } : {});

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      // At once, but not in the middle of a spool write (each spooled lead is fsynced before its call ends).
      logger.warn({ signal }, 'second signal: exiting now');
      void app.abort().finally(() => process.exit(1));
      return;
    }
    stopping = true;
    logger.info({ signal, live: app.registry.size }, 'shutting down: draining calls');
    app
      .close(config.DRAIN_TIMEOUT_MS)
      .then(() => {
        inspector?.stop();
        logger.info('shutdown complete');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error instanceof Error ? error.message : String(error) }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

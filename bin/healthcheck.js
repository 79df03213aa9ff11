#!/usr/bin/env node
// The Docker HEALTHCHECK: exit 0 while the server's /readyz answers 200 (a new call's lead can be kept), 1 otherwise.
// Plain node (the slim image has no curl); it reads PORT and HOST as the server does (default 8080, all interfaces,
// which it reaches on loopback). Not usable with PORT=0: the chosen port is only in the server's log.
const TIMEOUT_MS = 4_000;

const port = process.env.PORT?.trim() || '8080';
const listenHost = process.env.HOST?.trim() || '0.0.0.0';
const anyHost = ['0.0.0.0', '::', '[::]'].includes(listenHost);
const host = anyHost ? '127.0.0.1' : listenHost.includes(':') && !listenHost.startsWith('[') ? `[${listenHost}]` : listenHost;

try {
  const response = await fetch(`http://${host}:${port}/readyz`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  process.stdout.write(`${response.status} ${await response.text()}\n`);
  process.exit(response.status === 200 ? 0 : 1);
} catch (error) {
  process.stdout.write(`unreachable: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

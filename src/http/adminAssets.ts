import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file the console page loads (text: HTML, scripts, styles, SVG), read once at start. */
export interface AdminAsset {
  body: Buffer;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The package's root: the nearest folder above this module with a package.json (src/http in development, dist/src/http built). */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error('package.json not found above the admin assets module');
  }
}

/** Where the console's page lives: src/admin/public, served as it is (no build step). */
export const adminPublicDir = (): string => join(packageRoot(), 'src', 'admin', 'public');

/**
 * The console's files by the name they are served under `/admin/assets/`: every file of src/admin/public, and
 * Preact + htm's standalone module from node_modules as `vendor/preact-htm.js` (no CDN: the page works offline).
 */
export async function loadAdminAssets(dir: string = adminPublicDir()): Promise<Map<string, AdminAsset>> {
  const assets = new Map<string, AdminAsset>();
  for (const name of await readdir(dir)) {
    const type = CONTENT_TYPES[name.slice(name.lastIndexOf('.'))];
    if (type === undefined) continue;
    assets.set(name, { body: await readFile(join(dir, name)), contentType: type });
  }
  const vendor = fileURLToPath(import.meta.resolve('htm/preact/standalone'));
  assets.set('vendor/preact-htm.js', { body: await readFile(vendor), contentType: CONTENT_TYPES['.js'] ?? '' });
  return assets;
}

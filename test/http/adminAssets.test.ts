import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminPublicDir, loadAdminAssets, packageRoot } from '../../src/http/adminAssets.js';

describe('the console\'s files', () => {
  it('serves every page file of src/admin/public and Preact + htm from node_modules, by their names', async () => {
    expect(adminPublicDir()).toBe(join(packageRoot(), 'src', 'admin', 'public'));
    const assets = await loadAdminAssets();
    expect(assets.get('index.html')?.contentType).toBe('text/html; charset=utf-8');
    expect(assets.get('console.js')?.contentType).toBe('text/javascript; charset=utf-8');
    expect(assets.get('console.css')?.contentType).toBe('text/css; charset=utf-8');
    const vendor = assets.get('vendor/preact-htm.js')?.body.toString('utf8') ?? '';
    // The standalone bundle exports html and render (the page imports both).
    expect(vendor).toMatch(/export\s*\{[^}]*\bhtml\b/);
    expect(vendor).toMatch(/export\s*\{[^}]*\brender\b/);
    // Every module the page imports is one it is served.
    const imports = [...(assets.get('console.js')?.body.toString('utf8') ?? '').matchAll(/from '\.\/([^']+)'/g)].map((m) => m[1]);
    for (const name of imports) expect(assets.has(name as string), name).toBe(true);
  });

  it('leaves out files of other kinds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'psb-assets-'));
    try {
      await writeFile(join(dir, 'page.html'), '<p>hi</p>');
      await writeFile(join(dir, 'notes.txt'), 'not served');
      const assets = await loadAdminAssets(dir);
      expect([...assets.keys()].sort()).toEqual(['page.html', 'vendor/preact-htm.js']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('finds the package root from a folder below it', () => {
    expect(packageRoot(join(packageRoot(), 'src', 'http'))).toBe(packageRoot());
  });
});

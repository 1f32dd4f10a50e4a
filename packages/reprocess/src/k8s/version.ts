// The product's version, from its package.json: the nearest one above this module, whether it runs compiled
// (dist/src/k8s/version.js) or inside the CLI's bundle (dist/bundle/reprocess.cjs).
import { readFileSync } from 'node:fs';

function packageVersion(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'mosip-reprocess') return pkg.version;
    } catch {
      // no package.json here: look further up
    }
    if (dir.pathname === '/') throw new Error(`no package.json of mosip-reprocess above ${import.meta.url}`);
  }
}

export const VERSION: string = packageVersion();

/** The image `npm run image` builds: localhost/mosip-reprocess:<version>. */
export const DEFAULT_IMAGE = `localhost/mosip-reprocess:${VERSION}`;

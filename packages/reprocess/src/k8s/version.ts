// The product's version, from its package.json (dist/src/k8s/version.js -> ../../../package.json).
import { readFileSync } from 'node:fs';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The image `npm run image` builds: localhost/mosip-reprocess:<version>. */
export const DEFAULT_IMAGE = `localhost/mosip-reprocess:${VERSION}`;

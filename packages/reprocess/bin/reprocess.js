#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (the "prepare" script) or `npm run build`.
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('reprocess: not built yet; run `npm ci` (or `npm run build`) in the project folder first\n');
  process.exit(2);
}
// undici parses HTTP with a WebAssembly module that V8 compiles with its optimizing compiler at every start:
// about 0.2 s of CPU, most of a short run's start-up, for a parser that reads short replies. The baseline
// compiler is enough for it (measured: no more CPU over 2,000 requests). Not for `sim` and `demo`, whose
// embedded database is itself WebAssembly and runs for long. Set before anything compiles WebAssembly.
const wanted = process.argv[2];
if (wanted !== 'sim' && wanted !== 'demo') setFlagsFromString('--liftoff-only');
await import(pathToFileURL(entry).href);

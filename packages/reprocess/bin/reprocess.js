#!/usr/bin/env node
// Thin launcher. The CLI is compiled to dist/ and bundled into one CommonJS file, dist/bundle/reprocess.cjs, by
// `npm ci` (the "prepare" script) or `npm run build` (scripts/bundle.js): one file to read and compile instead of
// some 200.
// `sim` and `demo` run the compiled modules instead: they load the simulator package, which uses the library's
// modules by name, and one copy of each is enough (they run for minutes; their start-up does not matter).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const wanted = process.argv[2];
const simulator = wanted === 'sim' || wanted === 'demo';
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const entry = simulator ? join(dist, 'src', 'cli', 'main.js') : join(dist, 'bundle', 'reprocess.cjs');
if (!existsSync(entry)) {
  process.stderr.write('reprocess: not built yet; run `npm ci` (or `npm run build`) in the project folder first\n');
  process.exit(2);
}
// undici parses HTTP with a WebAssembly module that V8 compiles with its optimizing compiler at every start:
// about 0.2 s of CPU, most of a short run's start-up, for a parser that reads short replies. The baseline
// compiler is enough for it (measured: no more CPU over 2,000 requests). Not for `sim` and `demo`, whose
// embedded database is itself WebAssembly and runs for long. Set before anything compiles WebAssembly.
if (!simulator) setFlagsFromString('--liftoff-only');
// V8 doubles its young generation each time a scavenge finds it busy, up to 16 MB a semi-space (32 MB of the
// heap for the two). A run's garbage is short-lived (a packet's request, reply and records), so it is as well
// swept from the first 1 MB: a --db run's peak RSS 10 to 14 MB lower, and no more CPU (measured over 20,000
// packets). Read at every scavenge, so it takes effect set here (the size limits are read only at start-up).
if (!simulator) setFlagsFromString('--semi-space-growth-factor=1');
if (simulator) await import(pathToFileURL(entry).href);
else createRequire(import.meta.url)(entry);

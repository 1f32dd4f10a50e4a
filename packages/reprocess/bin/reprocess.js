#!/usr/bin/env node
// Thin launcher. The CLI is compiled to dist/ and bundled into one CommonJS file, dist/bundle/reprocess.cjs, by
// `npm ci` (the "prepare" script) or `npm run build` (scripts/bundle.js): one file to read and compile instead of
// some 200.
// `sim` and `demo` run the compiled modules instead: they load the simulator package, which uses the library's
// modules by name, and one copy of each is enough (they run for minutes; their start-up does not matter).
'use strict';
// CommonJS (bin/package.json), which Node loads without setting up its ES module loader: some milliseconds of every
// start.
const { existsSync } = require('node:fs');
const { getHeapSpaceStatistics, setFlagsFromString } = require('node:v8');
const { PerformanceObserver } = require('node:perf_hooks');
const { pathToFileURL } = require('node:url');
const { join } = require('node:path');

const wanted = process.argv[2];
const simulator = wanted === 'sim' || wanted === 'demo';
const dist = join(__dirname, '..', 'dist');
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
// heap for the two); fully grown, a --db run's peak RSS is 10 to 14 MB higher. Held at its first size (1 MB), it
// is swept so often that what is still in use (the requests in flight, the records written ahead) is copied again
// and again and promoted: a quarter of the CPU of an unpaced run at 64 in flight (measured over 20,000 packets).
// So it may grow to 8 MB for the two semi-spaces and is held there: 3 MB more at the peak than at its first size,
// that CPU back. The growth factor is read at every scavenge, the size limits only at start-up, hence the cap
// is kept by switching growth off (factor 1) after the first collection that finds the young generation at it.
const YOUNG_GENERATION_CAP = 8 * 1024 * 1024;
if (!simulator) {
  const youngGeneration = () => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
  const held = () => setFlagsFromString('--semi-space-growth-factor=1');
  if (youngGeneration() >= YOUNG_GENERATION_CAP) held();
  else {
    const watch = new PerformanceObserver(() => {
      if (youngGeneration() < YOUNG_GENERATION_CAP) return;
      held();
      watch.disconnect();
    });
    watch.observe({ entryTypes: ['gc'] });
  }
}
if (simulator) void import(pathToFileURL(entry).href);
else require(entry);

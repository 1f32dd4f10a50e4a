// Imports run downhill only. The folders of packages/reprocess/src are layers; a module imports from its own folder
// or a lower layer, so the shared vocabulary (what a packet, a verdict, a hold-back reason or a run's result is)
// lives low, and no part of the data path reaches up into the run that drives it:
//   domain, errors, clock, lazy   what everything shares
//   config < db < sql             settings, connections, statements
//   source, filter, pacer, notifier, journal, report   the data path (peers: one does not import another, but for
//                                  the two uses below)
//   triage                        why the selected packets are stuck (reads what the data path reads)
//   run, k8s                      a run put together (its cohorts from triage); the Kubernetes objects of one
//   action                        a workflow action run, built on the run's lock and events
//   cli, index                    the command line and the library's entry point
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

const LAYERS: readonly (readonly string[])[] = [
  ['domain', 'errors.ts', 'clock.ts', 'lazy.ts'],
  ['config'],
  ['db'],
  ['sql'],
  ['source', 'filter', 'pacer', 'notifier', 'journal', 'report'],
  ['triage'],
  ['run', 'k8s'],
  ['action'],
  ['cli', 'index.ts'],
];

/** The data path's own edges: the source applies two filters to the rows it reads (listed packets' hold-back, --all's shard) so that a batch holds --limit packets of this run; the report reads journals. */
const PEER_EDGES = new Set(['source -> filter', 'report -> journal']);

function layerOf(part: string): number {
  const i = LAYERS.findIndex((names) => names.includes(part));
  assert.ok(i >= 0, `src/${part} is in no layer: add it to LAYERS`);
  return i;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

test('imports run downhill only: no module of the data path imports the run, and shared rules live low', () => {
  const wrong: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = relative(SRC, file).split(sep)[0]!;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)) {
      const target = relative(SRC, normalize(join(dirname(file), m[1]!.replace(/\.js$/, '.ts')))).split(sep)[0]!;
      if (target === from) continue;
      const edge = `${from} -> ${target}`;
      if (layerOf(target) < layerOf(from) || PEER_EDGES.has(edge)) continue;
      wrong.push(`${relative(SRC, file)} imports ${m[1]} (${edge})`);
    }
  }
  assert.deepEqual(wrong, []);
});

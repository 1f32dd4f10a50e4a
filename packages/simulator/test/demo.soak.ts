// The demo at its full test size (300 rows, batches of 60) and with --keep: each starts its own embedded
// PGlite, which costs several seconds of CPU, so they run in `npm run test:soak`; demo.test.ts runs a small demo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, templatePath } from '../src/embedded/pglite.js';
import { demoKeepKeepsTheDatabase, demoRedrivesEveryRow } from './demoCases.js';

test('the demo re-drives every eligible packet of 300 rows through dry run, canary and batches of 60', async () => {
  await demoRedrivesEveryRow(300, 60);
});

test('demo --keep keeps the database files', async () => {
  await demoKeepKeepsTheDatabase();
});

test('the embedded server\'s saved empty cluster: made on the first start, used on the next, replaced when damaged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reprocess-pglite-template-'));
  const works = async (url: string) => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await pool.query('CREATE TABLE t (x int)');
      assert.deepEqual((await pool.query('SELECT count(*)::int AS n FROM t')).rows, [{ n: 0 }]);
    } finally {
      await pool.end();
    }
  };
  try {
    const template = templatePath(dir);
    writeFileSync(template, 'not a tar file');
    const first = await startEmbeddedPostgres({ templateDir: dir });
    assert.equal(first.startedFrom, 'initdb', 'a damaged template is not used');
    await works(first.url);
    await first.stop();
    assert.notEqual(readFileSync(template, 'utf8').slice(0, 14), 'not a tar file', 'and is replaced by a good one');

    const second = await startEmbeddedPostgres({ templateDir: dir });
    assert.equal(second.startedFrom, 'template');
    await works(second.url); // empty: the first server's table is not in the template
    await second.stop();

    const none = await startEmbeddedPostgres({ templateDir: null });
    assert.equal(none.startedFrom, 'initdb');
    await none.stop();
    assert.ok(existsSync(template));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

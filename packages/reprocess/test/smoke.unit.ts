import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freshSchema } from '@mosip-reprocess/testkit/db.js';

test('harness gives an empty registration table', async () => {
  const db = await freshSchema();
  const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM "${db.schema}".registration`);
  assert.equal(rows[0].n, 0);
  await db.drop();
});

// TLS: the server certificate is verified unless the operator says otherwise; --ca-file adds a CA. The
// simulator sits behind a TLS-terminating front here, as MOSIP's ingress does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthError, MosipClient } from '../src/notifier/client.js';
import { startSimulator, type RunningSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import { insertRegistrations } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { runCli } from '@mosip-reprocess/testkit/cli.js';
import { freshSchema, TEST_DB_URL, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { packetOf, stuckRow } from '@mosip-reprocess/testkit/rows.js';

// A self-signed certificate for localhost/127.0.0.1 made for these tests only (test/fixtures).
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures');
const CERT = join(FIXTURES, 'tls-test-cert.pem');
const SECRET = 'tls-secret';
let db: TestSchema;
let sim: RunningSimulator;
let front: Server;
let url: string;

before(async () => {
  db = await freshSchema('tls');
  sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  front = createServer({ key: readFileSync(join(FIXTURES, 'tls-test-key.pem')), cert: readFileSync(CERT) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => ['content-type', 'cookie'].includes(k))) as Record<string, string>;
      fetch(sim.url + req.url, { method: req.method!, headers, ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}) })
        .then(async (reply) => {
          const out: Record<string, string | string[]> = { 'content-type': reply.headers.get('content-type') ?? 'text/plain' };
          const cookies = reply.headers.getSetCookie();
          if (cookies.length > 0) out['set-cookie'] = cookies;
          res.writeHead(reply.status, out).end(Buffer.from(await reply.arrayBuffer()));
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(front.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((resolve) => front.close(resolve));
  await sim.close();
  await db.drop();
});

const client = (over: { caFile?: string; insecure?: boolean } = {}) => new MosipClient({
  server: url, clientId: 'mosip-regproc-client', clientSecret: SECRET, appId: 'regproc', timeoutSeconds: 5, insecure: false, ...over,
});

test('an unknown certificate is refused by default, naming the reason', async () => {
  const c = client();
  await assert.rejects(c.authenticate(), (err: unknown) => err instanceof AuthError && err.kind === 'unreachable' && /SELF_SIGNED|self.signed/i.test(err.message));
  await c.close();
});

test('--ca-file trusts the given CA; --insecure skips the check', async () => {
  const rows = [stuckRow(), stuckRow()];
  await insertRegistrations(db.pool, db.schema, rows);
  for (const over of [{ caFile: CERT }, { insecure: true }]) {
    const c = client(over);
    assert.equal((await c.notify(packetOf(rows.shift()!))).outcome, 'forwarded', JSON.stringify(over));
    await c.close();
  }
});

test('the command line: refused without the CA (exit 3), accepted with --ca-file, warned with --insecure', async () => {
  await insertRegistrations(db.pool, db.schema, [stuckRow(), stuckRow()]);
  const env = { REGPROC_CLIENT_PWD: SECRET, REPROCESS_DB_URL: TEST_DB_URL, DB_SCHEMA: db.schema };
  const refused = await runCli(['--db', '--delay', '0', '--limit', '1', '--server', url], { env });
  assert.equal(refused.code, 3);
  assert.equal(sim.stats().requests.notification ?? 0, 2, 'only the two earlier notifications reached the simulator');
  const withCa = await runCli(['--db', '--delay', '0', '--limit', '1', '--server', url, '--ca-file', CERT], { env });
  assert.equal(withCa.code, 0, withCa.stderr);
  const insecure = await runCli(['--db', '--delay', '0', '--limit', '1', '--server', url, '--insecure'], { env });
  assert.equal(insecure.code, 0, insecure.stderr);
  assert.match(insecure.stderr, /NOT verified/);
});

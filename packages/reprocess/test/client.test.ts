// Our MOSIP client against the simulator over real HTTP: every reply class, re-authentication, 403.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Packet } from '../src/domain/packet.js';
import { AuthError, MosipClient } from '../src/notifier/client.js';
import { startSimulator } from '@mosip-reprocess/simulator/sim/server.js';
import { insertRegistrations, type RegistrationRowInput } from '@mosip-reprocess/simulator/sql/registrationRows.js';
import { freePort } from '@mosip-reprocess/simulator/embedded/pglite.js';
import { freshSchema, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { packetOf, stuckRow } from '@mosip-reprocess/testkit/rows.js';

const SECRET = 'client-secret-for-tests';
let db: TestSchema;
before(async () => { db = await freshSchema('cli'); });
after(async () => { await db.drop(); });

async function packetRow(over: Partial<RegistrationRowInput> = {}): Promise<Packet> {
  const r = stuckRow(over);
  await insertRegistrations(db.pool, db.schema, [r]);
  return packetOf(r);
}

function client(url: string, over: Partial<ConstructorParameters<typeof MosipClient>[0]> = {}): MosipClient {
  return new MosipClient({ server: url, clientId: 'mosip-regproc-client', clientSecret: SECRET, appId: 'regproc', timeoutSeconds: 5, insecure: false, ...over });
}

test('a stuck packet is forwarded, with its real process, iteration and source', async () => {
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  const c = client(sim.url);
  try {
    const p = await packetRow({ process: 'UPDATE', iteration: 2, source: 'RESIDENT' });
    const r = await c.notify(p);
    assert.equal(r.outcome, 'forwarded');
    assert.equal(r.httpStatus, 200);
    assert.equal(r.attempts, 1);
    const forwarded = sim.stats().forwarded.find((m) => m.message.workflowInstanceId === p.workflowInstanceId);
    assert.ok(forwarded, 'a Kafka message was sent');
    assert.equal(forwarded.topic, 'securezone-notification-update-bus-out');
    assert.equal(forwarded.message.reg_type, 'UPDATE');
    assert.equal(forwarded.message.iteration, 2);
    assert.equal(forwarded.message.source, 'RESIDENT');
    const row = await db.pool.query(`SELECT latest_trn_type_code, latest_trn_status_code FROM "${db.schema}".registration WHERE workflow_instance_id = $1`, [p.workflowInstanceId]);
    assert.deepEqual(row.rows[0], { latest_trn_type_code: 'SECUREZONE_NOTIFICATION', latest_trn_status_code: 'SUCCESS' });
  } finally {
    await c.close();
    await sim.close();
  }
});

test('each reply class: not uploaded (duplicate), null (unknown workflow id), stage error (no sync row)', async () => {
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  const c = client(sim.url);
  try {
    const old = new Date(Date.now() - 10 * 86_400_000);
    const first = await packetRow({ crDtimes: old });
    const dup = await packetRow({ regId: first.rid });
    assert.equal((await c.notify(dup)).outcome, 'not_uploaded');

    const unknown = { ...(await packetRow()), workflowInstanceId: randomUUID() };
    const r = await c.notify(unknown);
    assert.equal(r.outcome, 'not_found');
    assert.equal(r.reply, 'null');

    const noSync = await packetRow({ withoutSyncRow: true });
    assert.equal((await c.notify(noSync)).outcome, 'stage_error');
  } finally {
    await c.close();
    await sim.close();
  }
});

test('the token is refreshed before it expires, read from the JWT exp', async () => {
  // One time of day for the realm and the client, moved by the test: no sleep, no race with the second boundary.
  let now = Math.floor(Date.now() / 1000) * 1000;
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], tokenLifetimeSeconds: 600, tokenClock: () => now });
  const c = client(sim.url, { now: () => now });
  try {
    const issuedAt = now;
    assert.equal((await c.notify(await packetRow())).outcome, 'forwarded');
    assert.equal(c.authentications, 1);
    // A tenth of a 600 s lifetime (60 s) before exp, not earlier.
    now = issuedAt + 539_000;
    assert.equal((await c.notify(await packetRow())).outcome, 'forwarded');
    assert.equal(c.authentications, 1, 'still the first token 61 s before it expires');
    now = issuedAt + 541_000;
    const r = await c.notify(await packetRow());
    assert.equal(r.outcome, 'forwarded');
    assert.equal(r.attempts, 1, 'no 401 was needed');
    assert.equal(c.authentications, 2, 'a new token 59 s before the first expires');
    // Past the first token's exp, the second one is used without another fetch.
    now = issuedAt + 601_000;
    assert.equal((await c.notify(await packetRow())).attempts, 1);
    assert.equal(c.authentications, 2);
    assert.equal(sim.stats().outcomes.unauthorized, 0);
  } finally {
    await c.close();
    await sim.close();
  }
});

test('a 401 makes the client authenticate again and retry once', async () => {
  // The client holds a token the server no longer accepts: the simulator restarted after a realm key rotation.
  const first = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  const port = first.port;
  const c = client(first.url);
  try {
    await c.authenticate();
    await first.close();
    const second = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], port, rotateSigningKey: true });
    try {
      const r = await c.notify(await packetRow());
      assert.equal(r.outcome, 'forwarded');
      assert.equal(r.attempts, 2);
      assert.equal(c.authentications, 2);
      assert.equal(second.stats().outcomes.unauthorized, 1);
    } finally {
      await second.close();
    }
  } finally {
    await c.close();
  }
});

test('403 when the client lacks the REGISTRATION_PROCESSOR role', async () => {
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET, roles: ['REGISTRATION_ADMIN'] }] });
  const c = client(sim.url);
  try {
    const r = await c.notify(await packetRow());
    assert.equal(r.outcome, 'forbidden');
    assert.equal(r.httpStatus, 403);
    assert.match(r.reply, /KER-ATH-403/);
  } finally {
    await c.close();
    await sim.close();
  }
});

test('a wrong secret is an authentication refusal, with no secret in the message', async () => {
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  const c = client(sim.url, { clientSecret: 'wrong-secret-value' });
  try {
    await assert.rejects(c.notify(await packetRow()), (err: unknown) => {
      assert.ok(err instanceof AuthError);
      assert.equal(err.kind, 'refused');
      assert.doesNotMatch(err.message, /wrong-secret-value|client-secret-for-tests/);
      return true;
    });
    const badApp = client(sim.url, { appId: 'nosuchapp' });
    await assert.rejects(badApp.authenticate(), /KER-ATH-026/);
    await badApp.close();
  } finally {
    await c.close();
    await sim.close();
  }
});

test('no server listening: authentication is unreachable', async () => {
  const port = await freePort();
  const c = client(`http://127.0.0.1:${port}`);
  await assert.rejects(c.authenticate(), (err: unknown) => err instanceof AuthError && err.kind === 'unreachable' && /ECONNREFUSED/.test(err.message));
  await c.close();
});

test('replies read in pieces: a reply split over many chunks (a UTF-8 character across two) reads whole; a 1 MB error page is cut, not held', async () => {
  const { createServer } = await import('node:http');
  const { AUTH_PATH, forwardedMessage } = await import('@mosip-reprocess/contract/wire.js');
  const p = await packetRow();
  let mode: 'split' | 'utf8' | 'huge' = 'split';
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === AUTH_PATH) {
        const jwt = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url')}.x`;
        res.writeHead(200, { 'set-cookie': `Authorization=${jwt}; Path=/`, 'content-type': 'application/json' }).end('{"response":{"status":"Success"}}');
        return;
      }
      if (mode === 'huge') {
        res.writeHead(502, { 'content-type': 'text/html' }).end(`<html><body>${'é'.repeat(512 * 1024)}</body></html>`);
        return;
      }
      // The success text in 7-byte writes; a stage error one byte a write (its 2-byte characters cut in two).
      const text = mode === 'split' ? forwardedMessage(p.rid) : 'Paket überprüfen: Fehler';
      const bytes = Buffer.from(JSON.stringify(text), 'utf8');
      const step = mode === 'split' ? 7 : 1;
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < bytes.length; i += step) res.write(bytes.subarray(i, i + step));
      res.end();
    });
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const c = client(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
  try {
    const ok = await c.notify(p);
    assert.equal(ok.outcome, 'forwarded', ok.reply);
    mode = 'utf8';
    const cut = await c.notify(p);
    assert.deepEqual([cut.outcome, cut.reply], ['stage_error', 'Paket überprüfen: Fehler']);
    mode = 'huge';
    const bad = await c.notify(p);
    assert.equal(bad.outcome, 'server_error');
    assert.equal(bad.httpStatus, 502);
    assert.ok(bad.reply.length <= 500, 'the reply kept is short');
  } finally {
    await c.close();
    await new Promise((r) => server.close(r));
  }
});

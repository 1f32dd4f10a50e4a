// The simulator's authmanager and the securezone's auth filter, over real HTTP (docs/mosip-facts.md, "Authentication").
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { startSimulator, type RunningSimulator } from '../src/sim/server.js';
import { insertRegistrations } from '../src/sql/registrationRows.js';
import { freshSchema, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { AUTH, authBody, notify, notifyBody, NOTIFY, post, SECRET, stuckRow, token } from './simFixtures.js';

let db: TestSchema;
let sim: RunningSimulator;

before(async () => {
  db = await freshSchema('simauth');
  sim = await startSimulator({
    db: db.pool,
    schema: db.schema,
    clients: [
      { secret: SECRET },
      { clientId: 'mosip-resident-client', secret: 'resident-secret', roles: ['RESIDENT'] },
      { clientId: 'stranger-client', secret: 'stranger-secret', roles: ['REGISTRATION_PROCESSOR'] },
    ],
    allowedAudiences: ['mosip-regproc-client', 'mosip-resident-client'],
  });
});

after(async () => {
  await sim.close();
  await db.drop();
});

function decodeJwt(jwt: string): { header: Record<string, unknown>; claims: Record<string, any> } {
  const [h, p] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h ?? '', 'base64url').toString()),
    claims: JSON.parse(Buffer.from(p ?? '', 'base64url').toString()),
  };
}

test('clientidsecretkey: 200 envelope echoing id/version, token only in Set-Cookie and Authorization headers', async () => {
  const reply = await post(sim.url + AUTH, authBody());
  assert.equal(reply.status, 200);
  assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
  const body = JSON.parse(reply.text);
  assert.equal(body.id, 'mosip.io.clientId.pwd');
  assert.equal(body.version, '1.0');
  assert.match(body.responsetime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(body.metadata, null);
  assert.deepEqual(body.response, { status: 'Success', message: 'Clientid and Token combination had been validated successfully' });
  assert.equal(body.errors, null);

  const setCookie = reply.headers.get('set-cookie') ?? '';
  const match = /^Authorization=([^;]+); Max-Age=6000000; Path=\/; HttpOnly$/.exec(setCookie);
  assert.ok(match, `Set-Cookie was ${setCookie}`);
  const jwt = match[1]!;
  assert.equal(reply.headers.get('authorization'), jwt);
  assert.ok(!reply.text.includes(jwt), 'the token is not in the body');
  assert.ok(!reply.text.includes(SECRET) && !setCookie.includes(SECRET), 'the secret is never echoed');

  // A real RS256 JWT, verifiable with the realm's published key.
  const { header, claims } = decodeJwt(jwt);
  assert.equal(header.alg, 'RS256');
  assert.equal(claims.iss, `${sim.url}/auth/realms/mosip`);
  assert.equal(claims.aud, 'mosip-regproc-client');
  assert.equal(claims.azp, 'mosip-regproc-client');
  assert.deepEqual(claims.realm_access.roles, ['REGISTRATION_PROCESSOR']);
  assert.equal(claims.exp - claims.iat, 86400);
  assert.ok(Math.abs(claims.iat * 1000 - Date.now()) < 10_000);
  const jwks = await (await fetch(`${sim.url}/auth/realms/mosip/protocol/openid-connect/certs`)).json() as { keys: any[] };
  const key = createPublicKey({ key: jwks.keys[0], format: 'jwk' });
  const [h, p, s] = jwt.split('.');
  assert.ok(verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s ?? '', 'base64url')));
});

test('clientidsecretkey errors: unknown appId and bad request are 200 with errors; a wrong secret or client is 500', async () => {
  const before = sim.stats().auth;

  const badApp = await post(sim.url + AUTH, authBody({ appId: 'nosuchapp' }));
  assert.equal(badApp.status, 200);
  const badAppBody = JSON.parse(badApp.text);
  assert.deepEqual(badAppBody.errors, [{ errorCode: 'KER-ATH-026', message: 'Realm not found:: nosuchapp' }]);
  assert.equal(badAppBody.response, null);
  assert.equal(badAppBody.id, 'mosip.io.clientId.pwd');
  assert.equal(badApp.headers.get('set-cookie'), null);

  const noRequest = await post(sim.url + AUTH, { id: 'x', version: '1.0', requesttime: new Date().toISOString(), metadata: {} });
  assert.equal(noRequest.status, 200);
  assert.equal(JSON.parse(noRequest.text).errors[0].errorCode, 'KER-ATH-019');
  assert.equal(JSON.parse(noRequest.text).errors[0].message, 'request must not be null');

  const garbage = await post(sim.url + AUTH, '{"request": ');
  assert.equal(garbage.status, 200);
  assert.equal(JSON.parse(garbage.text).errors[0].errorCode, 'KER-ATH-019');

  const wrongSecret = await post(sim.url + AUTH, authBody({ secretKey: 'not-the-secret' }));
  assert.equal(wrongSecret.status, 500);
  const wrongBody = JSON.parse(wrongSecret.text);
  assert.equal(wrongBody.errors[0].errorCode, '500');
  assert.match(wrongBody.errors[0].message, /^401 Unauthorized: \[/);
  assert.equal(wrongSecret.headers.get('set-cookie'), null);
  assert.ok(!wrongSecret.text.includes('not-the-secret') && !wrongSecret.text.includes(SECRET));

  const unknownClient = await post(sim.url + AUTH, authBody({ clientId: 'nobody' }));
  assert.equal(unknownClient.status, 500);
  assert.match(JSON.parse(unknownClient.text).errors[0].message, /^401 Unauthorized: /);

  const after = sim.stats().auth;
  assert.equal(after.failures - before.failures, 5);
  assert.equal(after.successes, before.successes);
});

test('securezone: no cookie, a Bearer header only, or a cookie without Authorization= is 401 KER-ATH-401', async () => {
  const row = stuckRow();
  await insertRegistrations(db.pool, db.schema, [row]);
  const jwt = await token(sim.url);
  const attempts: Record<string, string>[] = [{}, { authorization: `Bearer ${jwt}` }, { cookie: `session=${jwt}` }, { cookie: 'Authorization=' }];
  for (const headers of attempts) {
    const reply = await post(sim.url + NOTIFY, notifyBody(row), headers);
    assert.equal(reply.status, 401, JSON.stringify(headers));
    assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
    const body = JSON.parse(reply.text);
    assert.equal(body.id, '');
    assert.equal(body.version, '');
    assert.equal(body.response, null);
    assert.deepEqual(body.errors, [{ errorCode: 'KER-ATH-401', message: 'Authentication Failed' }]);
  }
  assert.equal(sim.stats().notificationsByWorkflowId[row.workflowInstanceId], undefined, 'nothing reached the stage');
});

test('securezone: a tampered token or one from another authmanager is 401; a non-JWT is a 200 exception text', async () => {
  const row = stuckRow();
  await insertRegistrations(db.pool, db.schema, [row]);

  // A resident-client token with REGISTRATION_PROCESSOR added, signature kept: the signature no longer matches.
  const [h, p, s] = (await token(sim.url, { clientId: 'mosip-resident-client', secretKey: 'resident-secret' })).split('.');
  const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString());
  claims.realm_access.roles.push('REGISTRATION_PROCESSOR');
  const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
  assert.equal((await notify(sim.url, forged, notifyBody(row))).status, 401);

  const other = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  try {
    const foreign = await token(other.url);
    const reply = await notify(sim.url, foreign, notifyBody(row));
    assert.equal(reply.status, 401);
    assert.equal(JSON.parse(reply.text).errors[0].errorCode, 'KER-ATH-401');
  } finally {
    await other.close();
  }

  const notJwt = await notify(sim.url, 'not-a-jwt', notifyBody(row));
  assert.equal(notJwt.status, 200);
  assert.equal(notJwt.headers.get('content-type'), 'text/plain');
  assert.equal(notJwt.text, JSON.stringify('The token was expected to have 3 parts, but got 1.'));
  assert.equal(sim.stats().notificationsByWorkflowId[row.workflowInstanceId], undefined);
});

test('securezone: a valid token without REGISTRATION_PROCESSOR, or with an audience not allowed, is 403 KER-ATH-403', async () => {
  const row = stuckRow();
  await insertRegistrations(db.pool, db.schema, [row]);
  const cases = [
    await token(sim.url, { clientId: 'mosip-resident-client', secretKey: 'resident-secret' }),
    await token(sim.url, { clientId: 'stranger-client', secretKey: 'stranger-secret' }),
  ];
  for (const jwt of cases) {
    const reply = await notify(sim.url, jwt, notifyBody(row));
    assert.equal(reply.status, 403);
    assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(reply.text).errors, [{ errorCode: 'KER-ATH-403', message: 'Forbidden' }]);
  }
  const { rows } = await db.pool.query(`SELECT latest_trn_type_code FROM "${db.schema}".registration WHERE workflow_instance_id = $1`, [row.workflowInstanceId]);
  assert.equal(rows[0].latest_trn_type_code, 'UPLOAD_PACKET', 'the row was not touched');
});

test('securezone: an expired token is 401 (cookie-only validation, the same token worked before)', async () => {
  let now = Math.floor(Date.now() / 1000) * 1000;
  const shortLived = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], tokenLifetimeSeconds: 2, tokenClock: () => now });
  try {
    const row = stuckRow();
    await insertRegistrations(db.pool, db.schema, [row]);
    const jwt = await token(shortLived.url);
    now += 1999;
    assert.equal((await notify(shortLived.url, jwt, notifyBody(row))).status, 200, 'valid until its exp');
    now += 1;
    const reply = await notify(shortLived.url, jwt, notifyBody(row));
    assert.equal(reply.status, 401, 'expired at its exp');
    assert.deepEqual(JSON.parse(reply.text).errors, [{ errorCode: 'KER-ATH-401', message: 'Authentication Failed' }]);
    assert.equal(shortLived.stats().outcomes.unauthorized, 1);
  } finally {
    await shortLived.close();
  }
});

test('health and stats endpoints; close() stops listening', async () => {
  const health = await fetch(`${sim.url}/registrationprocessor/v1/securezone/actuator/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'UP' });
  const stats = await (await fetch(`${sim.url}/sim/stats`)).json() as Record<string, any>;
  assert.ok(stats.requests.authenticate > 0);
  assert.equal(typeof stats.notificationsByWorkflowId, 'object');
  assert.equal((await fetch(`${sim.url}/nope`)).status, 404);

  const temporary = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  await temporary.close();
  await assert.rejects(fetch(`${temporary.url}/registrationprocessor/v1/securezone/actuator/health`));
});

test('the realm keeps its key across a restart (as Keycloak does), and a key rotation refuses the tokens signed before', async () => {
  const first = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }] });
  const port = first.port;
  const before = await token(first.url);
  await first.close();
  const row = stuckRow();
  await insertRegistrations(db.pool, db.schema, [row]);
  const restarted = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], port });
  try {
    assert.equal((await notify(restarted.url, before, notifyBody(row))).status, 200, 'a token from before the restart is still good');
  } finally {
    await restarted.close();
  }
  const rotated = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], port, rotateSigningKey: true });
  try {
    assert.equal((await notify(rotated.url, before, notifyBody(row))).status, 401, 'signed with the old key: refused');
  } finally {
    await rotated.close();
  }
});

// Fault injection in the simulator (src/sim/faults.ts), over real HTTP with plain fetch: each fault's effect on
// the reply and on the database, seeded rates, exact counts in stats(), run-time changes through POST /sim/faults,
// and the `reprocess sim` fault flags.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { InputError } from 'mosip-reprocess/errors.js';
import { runSimulatorCommand } from '../src/sim/cli.js';
import { startSimulator, type FaultSettings, type RunningSimulator } from '../src/sim/server.js';
import { insertRegistrations, type RegistrationRowInput } from '../src/sql/registrationRows.js';
import { freshSchema, type TestSchema } from '@mosip-reprocess/testkit/db.js';
import { AUTH, authBody, notify, notifyBody, NOTIFY, post, SECRET, sleep, stuckRow, token, type Reply } from './simFixtures.js';

let db: TestSchema;

before(async () => {
  db = await freshSchema('simfaults');
});

after(async () => {
  await db.drop();
});

const FORWARDED = (rid: string) => JSON.stringify(`Packet with registrationId '${rid}' has been forwarded to next stage`);
const ENVOY_503 = 'upstream connect error or disconnect/reset before headers. reset reason: connection failure';
const NO_FAULTS = { injected5xx: 0, slow: 0, dropped: 0, droppedAfterStage: 0, expiredByUse: 0, expiredByAge: 0, forbidden: 0, down: 0 };

async function withSim(faults: FaultSettings | undefined, work: (sim: RunningSimulator) => Promise<void>): Promise<void> {
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], faults });
  try {
    await work(sim);
  } finally {
    await sim.close();
  }
}

async function rows(n: number): Promise<RegistrationRowInput[]> {
  const list = Array.from({ length: n }, () => stuckRow());
  await insertRegistrations(db.pool, db.schema, list);
  return list;
}

/** A reply, or 'no_reply' when the connection was closed without one. */
async function attempt(send: () => Promise<Reply>): Promise<Reply | 'no_reply'> {
  try {
    return await send();
  } catch (error) {
    assert.ok(error instanceof TypeError, `fetch failed with ${String(error)}`); // undici: "fetch failed"
    return 'no_reply';
  }
}

/** Whether the stage touched the row: its latest transaction type and how many transaction rows it has. */
async function touched(row: RegistrationRowInput): Promise<boolean> {
  const reg = await db.pool.query(`SELECT latest_trn_type_code FROM "${db.schema}".registration WHERE workflow_instance_id = $1`, [row.workflowInstanceId]);
  const trn = await db.pool.query(`SELECT count(*)::int AS n FROM "${db.schema}".registration_transaction WHERE reg_id = $1`, [row.regId]);
  const written = reg.rows[0].latest_trn_type_code === 'SECUREZONE_NOTIFICATION';
  assert.equal(trn.rows[0].n, written ? 1 : 0, 'a transaction row exactly when the registration row was rewritten');
  return written;
}

test('no faults by default: behaviour and stats as before, settings show only the seed', async () => {
  await withSim(undefined, async (sim) => {
    const [row] = await rows(1);
    const reply = await notify(sim.url, await token(sim.url), notifyBody(row!));
    assert.equal(reply.text, FORWARDED(row!.regId));
    assert.deepEqual(sim.stats().faults, NO_FAULTS);
    assert.deepEqual(sim.faults(), { settings: { seed: 1 }, downUntil: null, downStartsAfter: null });
  });
});

test('5xx: seeded rate roughly honoured, the stage never runs for an injected 5xx, counts exact, same seed same pattern', async () => {
  const packets = await rows(60);
  const pattern: boolean[] = [];
  await withSim({ seed: 42, serverErrorRate: 0.2 }, async (sim) => {
    const jwt = await token(sim.url);
    for (const row of packets) {
      const reply = await notify(sim.url, jwt, notifyBody(row));
      const failed = reply.status === 503;
      pattern.push(failed);
      if (failed) {
        assert.equal(reply.text, ENVOY_503);
        assert.equal(reply.headers.get('content-type'), 'text/plain');
      } else {
        assert.equal(reply.text, FORWARDED(row.regId));
      }
      assert.equal(await touched(row), !failed, `row ${row.regId}`);
    }
    const failures = pattern.filter(Boolean).length;
    assert.ok(failures >= 5 && failures <= 20, `${failures} of 60 at rate 0.2`);
    const stats = sim.stats();
    assert.deepEqual(stats.faults, { ...NO_FAULTS, injected5xx: failures });
    assert.equal(stats.outcomes.server_error, failures);
    assert.equal(stats.outcomes.forwarded, 60 - failures);
    assert.equal(Object.keys(stats.notificationsByWorkflowId).length, 60 - failures, 'only the others reached the stage');
  });

  // The 5xx comes before authentication, so the pattern can be replayed without a token or rows.
  const replay = async (seed: number) => withSimResult({ seed, serverErrorRate: 0.2 }, async (sim) => {
    const seen: boolean[] = [];
    for (const row of packets) seen.push((await post(sim.url + NOTIFY, notifyBody(row))).status === 503);
    return seen;
  });
  assert.deepEqual(await replay(42), pattern, 'the same seed gives the same requests a 5xx');
  assert.notDeepEqual(await replay(43), pattern, 'another seed gives another pattern');
});

async function withSimResult<T>(faults: FaultSettings, work: (sim: RunningSimulator) => Promise<T>): Promise<T> {
  let result: T | undefined;
  await withSim(faults, async (sim) => {
    result = await work(sim);
  });
  return result as T;
}

test('5xx: configurable status and a gateway-like HTML page', async () => {
  await withSim({ serverErrorRate: 1, serverErrorStatus: 502, serverErrorBody: 'html' }, async (sim) => {
    const [row] = await rows(1);
    const reply = await notify(sim.url, await token(sim.url), notifyBody(row!));
    assert.equal(reply.status, 502);
    assert.equal(reply.headers.get('content-type'), 'text/html');
    assert.match(reply.text, /<title>502 Bad Gateway<\/title>/);
    assert.match(reply.text, /nginx/);
    assert.equal(await touched(row!), false);
    assert.equal(sim.stats().faults.injected5xx, 1);
  });
});

test('slow: a fixed delay, a seeded random range on a share of requests; the stage still runs', async () => {
  await withSim({ slowMs: 150 }, async (sim) => {
    const [row] = await rows(1);
    const jwt = await token(sim.url);
    const started = Date.now();
    const reply = await notify(sim.url, jwt, notifyBody(row!));
    assert.ok(Date.now() - started >= 145, `took ${Date.now() - started} ms`);
    assert.equal(reply.text, FORWARDED(row!.regId));
    assert.equal(await touched(row!), true);
    assert.equal(sim.stats().faults.slow, 1);
  });

  await withSim({ seed: 5, slowRangeMs: [60, 120], slowRate: 0.5 }, async (sim) => {
    const packets = await rows(12);
    const jwt = await token(sim.url);
    let atLeastMin = 0;
    for (const row of packets) {
      const started = Date.now();
      const reply = await notify(sim.url, jwt, notifyBody(row));
      if (Date.now() - started >= 58) atLeastMin += 1;
      assert.equal(reply.text, FORWARDED(row.regId));
    }
    const slowed = sim.stats().faults.slow;
    assert.ok(slowed >= 2 && slowed <= 10, `${slowed} of 12 slowed at rate 0.5`);
    assert.ok(atLeastMin >= slowed, `${atLeastMin} replies took 60 ms or more, ${slowed} were slowed`);
  });

  // close() does not wait for a pending delay: the request gets no reply and close returns without waiting out
  // the (10-minute) delay.
  const sim = await startSimulator({ db: db.pool, schema: db.schema, clients: [{ secret: SECRET }], faults: { slowMs: 600_000 } });
  const [row] = await rows(1);
  const pending = attempt(async () => notify(sim.url, await token(sim.url), notifyBody(row!)));
  while (sim.stats().faults.slow === 0) await sleep(10); // the request is in its delay
  const closed = await Promise.race([sim.close().then(() => 'closed'), delay(60_000, 'still waiting after a minute', { ref: false })]);
  assert.equal(closed, 'closed');
  assert.equal(await pending, 'no_reply');
  assert.equal(await touched(row!), false, 'the stage did not run after close');
});

test('drop-before: no reply and the stage did not run; drop-after: no reply but the stage ran and committed', async () => {
  await withSim({ dropRate: 1, dropMode: 'before' }, async (sim) => {
    const [row] = await rows(1);
    assert.equal(await attempt(async () => notify(sim.url, await token(sim.url), notifyBody(row!))), 'no_reply');
    assert.equal(await touched(row!), false);
    assert.equal(sim.stats().notificationsByWorkflowId[row!.workflowInstanceId], undefined);
    assert.deepEqual(sim.stats().faults, { ...NO_FAULTS, dropped: 1 });
  });

  await withSim({ dropRate: 1 }, async (sim) => { // mode 'after' is the default
    const [row] = await rows(1);
    const jwt = await token(sim.url);
    assert.equal(await attempt(() => notify(sim.url, jwt, notifyBody(row!))), 'no_reply');
    assert.equal(await touched(row!), true, 'committed although the client never heard back');
    assert.equal(sim.stats().forwarded.filter((m) => m.message.workflowInstanceId === row!.workflowInstanceId).length, 1);
    assert.deepEqual(sim.stats().faults, { ...NO_FAULTS, dropped: 1, droppedAfterStage: 1 });

    // A client that resends after the lost reply notifies the packet a second time.
    sim.setFaults({ dropRate: null });
    assert.equal((await notify(sim.url, jwt, notifyBody(row!))).text, FORWARDED(row!.regId));
    assert.equal(sim.stats().notificationsByWorkflowId[row!.workflowInstanceId], 2);
  });
});

test('drop: a seeded rate, every lost reply counted', async () => {
  await withSim({ seed: 9, dropRate: 0.25, dropMode: 'after' }, async (sim) => {
    const packets = await rows(40);
    const jwt = await token(sim.url);
    let lost = 0;
    for (const row of packets) {
      const reply = await attempt(() => notify(sim.url, jwt, notifyBody(row)));
      if (reply === 'no_reply') lost += 1;
      else assert.equal(reply.text, FORWARDED(row.regId));
      assert.equal(await touched(row), true, 'drop-after: every packet reached the stage');
    }
    assert.ok(lost >= 3 && lost <= 18, `${lost} of 40 dropped at rate 0.25`);
    assert.deepEqual(sim.stats().faults, { ...NO_FAULTS, dropped: lost, droppedAfterStage: lost });
    assert.equal(sim.stats().outcomes.forwarded, 40 - lost, 'a dropped reply is not counted as a reply');
  });
});

test('token uses: a token is refused with 401 KER-ATH-401 after N notifications; a new token works', async () => {
  await withSim({ tokenMaxUses: 3 }, async (sim) => {
    const packets = await rows(5);
    const jwt = await token(sim.url);
    for (const row of packets.slice(0, 3)) assert.equal((await notify(sim.url, jwt, notifyBody(row))).text, FORWARDED(row.regId));

    const refused = await notify(sim.url, jwt, notifyBody(packets[3]!));
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('content-type') ?? '', /^application\/json/);
    const envelope = JSON.parse(refused.text);
    assert.equal(envelope.id, '');
    assert.equal(envelope.version, '');
    assert.equal(envelope.response, null);
    assert.deepEqual(envelope.errors, [{ errorCode: 'KER-ATH-401', message: 'Authentication Failed' }]);
    assert.equal(await touched(packets[3]!), false);
    assert.equal((await notify(sim.url, jwt, notifyBody(packets[3]!))).status, 401, 'and stays refused');

    const fresh = await token(sim.url);
    assert.equal((await notify(sim.url, fresh, notifyBody(packets[3]!))).text, FORWARDED(packets[3]!.regId));
    assert.deepEqual(sim.stats().faults, { ...NO_FAULTS, expiredByUse: 2 });
    assert.equal(sim.stats().outcomes.unauthorized, 2);

    // Tokens that wear out by age, switched on while running: 0 s refuses every token at once.
    sim.setFaults({ tokenMaxUses: null, tokenMaxAgeSeconds: 0 });
    const aged = await notify(sim.url, fresh, notifyBody(packets[4]!));
    assert.equal(aged.status, 401);
    assert.equal(JSON.parse(aged.text).errors[0].errorCode, 'KER-ATH-401');
    assert.equal(sim.stats().faults.expiredByAge, 1);
    assert.equal(await touched(packets[4]!), false);
  });
});

test('403: every authenticated notification (all) or a seeded share gets the MOSIP 403 envelope, the stage not run', async () => {
  await withSim({ forbiddenRate: 'all' }, async (sim) => {
    const [row] = await rows(1);
    const reply = await notify(sim.url, await token(sim.url), notifyBody(row!, { id: 'mosip.reprocess', version: 'v1' }));
    assert.equal(reply.status, 403);
    assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
    const envelope = JSON.parse(reply.text);
    assert.deepEqual(envelope.errors, [{ errorCode: 'KER-ATH-403', message: 'Forbidden' }]);
    assert.equal(envelope.id, 'mosip.reprocess', 'id and version echoed as the adapter does');
    assert.equal(envelope.version, 'v1');
    assert.match(envelope.responsetime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(await touched(row!), false);

    // Without a token the auth filter answers first: 401, not an injected 403.
    assert.equal((await post(sim.url + NOTIFY, notifyBody(row!))).status, 401);
    assert.deepEqual(sim.stats().faults, { ...NO_FAULTS, forbidden: 1 });
  });

  await withSim({ seed: 3, forbiddenRate: 0.5 }, async (sim) => {
    const packets = await rows(30);
    const jwt = await token(sim.url);
    let forbidden = 0;
    for (const row of packets) {
      const reply = await notify(sim.url, jwt, notifyBody(row));
      if (reply.status === 403) forbidden += 1;
      assert.equal(await touched(row), reply.status === 200);
    }
    assert.ok(forbidden >= 7 && forbidden <= 23, `${forbidden} of 30 at rate 0.5`);
    assert.equal(sim.stats().faults.forbidden, forbidden);
    assert.equal(sim.stats().outcomes.forbidden, forbidden);
  });
});

test('down window: after N requests every MOSIP route is refused, /sim/* stays up, then it recovers', async () => {
  await withSim({ down: { startAfterRequests: 2, durationMs: 1200 } }, async (sim) => {
    const packets = await rows(3);
    assert.equal(sim.faults().downStartsAfter, 2);
    const jwt = await token(sim.url); // request 1
    assert.equal((await notify(sim.url, jwt, notifyBody(packets[0]!))).text, FORWARDED(packets[0]!.regId)); // request 2

    assert.equal(await attempt(() => notify(sim.url, jwt, notifyBody(packets[1]!))), 'no_reply');
    assert.equal(await attempt(() => post(sim.url + AUTH, authBody())), 'no_reply');
    await assert.rejects(fetch(`${sim.url}/registrationprocessor/v1/securezone/actuator/health`));
    const state = sim.faults();
    assert.ok(state.downUntil && Date.parse(state.downUntil) > Date.now());
    const viaHttp = await (await fetch(`${sim.url}/sim/stats`)).json() as { faults: { down: number } };
    assert.equal(viaHttp.faults.down, 3, 'stats are served while down');
    assert.equal(await touched(packets[1]!), false);

    await sleep(Date.parse(state.downUntil) - Date.now() + 30);
    assert.equal((await notify(sim.url, jwt, notifyBody(packets[1]!))).text, FORWARDED(packets[1]!.regId));
    assert.equal((await post(sim.url + AUTH, authBody())).status, 200);
    assert.deepEqual(sim.faults(), { settings: { seed: 1 }, downUntil: null, downStartsAfter: null }, 'the window is used up');
    assert.deepEqual(sim.stats().faults, { ...NO_FAULTS, down: 3 });
  });

  await withSim(undefined, async (sim) => {
    const [row] = await rows(1);
    const jwt = await token(sim.url);
    sim.downFor(800, '503');
    for (const reply of [await notify(sim.url, jwt, notifyBody(row!)), await post(sim.url + AUTH, authBody())]) {
      assert.equal(reply.status, 503);
      assert.equal(reply.text, 'no healthy upstream');
    }
    assert.equal(await touched(row!), false);
    await sleep(Date.parse(sim.faults().downUntil!) - Date.now() + 30);
    assert.equal((await notify(sim.url, jwt, notifyBody(row!))).text, FORWARDED(row!.regId));
    assert.equal(sim.stats().faults.down, 2);
    assert.equal(sim.stats().outcomes.server_error, 1);
  });
});

test('POST /sim/faults changes faults at run time (another process can), checks its input, and GET shows them', async () => {
  await withSim(undefined, async (sim) => {
    const control = (body: unknown) => post(`${sim.url}/sim/faults`, body);
    const packets = await rows(3);
    const jwt = await token(sim.url);

    const set = await control({ serverErrorRate: 1, serverErrorStatus: 504 });
    assert.equal(set.status, 200);
    assert.deepEqual(JSON.parse(set.text).settings, { seed: 1, serverErrorRate: 1, serverErrorStatus: 504 });
    const failed = await notify(sim.url, jwt, notifyBody(packets[0]!));
    assert.equal(failed.status, 504);
    assert.equal(failed.text, 'upstream request timeout');

    assert.equal((await control({ serverErrorRate: null })).status, 200);
    assert.equal((await notify(sim.url, jwt, notifyBody(packets[0]!))).text, FORWARDED(packets[0]!.regId));

    for (const bad of [{ dropRate: 2 }, { nonsense: 1 }, { down: { durationMs: 0 } }, { dropMode: 'sideways' }, '[1]', '{']) {
      const reply = await control(bad);
      assert.equal(reply.status, 400, JSON.stringify(bad));
      assert.equal(typeof JSON.parse(reply.text).error, 'string');
    }
    assert.throws(() => sim.setFaults({ slowRangeMs: [500, 100] }), /slowRangeMs min 500 is over max 100/);

    // Down and back up at once; the control endpoint itself is never down.
    assert.equal((await control({ down: { durationMs: 60_000, mode: '503' } })).status, 200);
    assert.equal((await notify(sim.url, jwt, notifyBody(packets[1]!))).status, 503);
    const shown = await (await fetch(`${sim.url}/sim/faults`)).json() as { downUntil: string | null; settings: Record<string, unknown> };
    assert.ok(shown.downUntil);
    assert.deepEqual(shown.settings.down, { durationMs: 60_000, mode: '503' });
    assert.equal((await control({ down: null })).status, 200);
    assert.equal((await notify(sim.url, jwt, notifyBody(packets[1]!))).text, FORWARDED(packets[1]!.regId));

    await control({ seed: 77, forbiddenRate: 'all', slowMs: 10 });
    assert.equal((await notify(sim.url, jwt, notifyBody(packets[2]!))).status, 403);
    const cleared = JSON.parse((await control({ clear: true })).text);
    assert.deepEqual(cleared, { settings: { seed: 77 }, downUntil: null, downStartsAfter: null });
    assert.equal((await notify(sim.url, jwt, notifyBody(packets[2]!))).text, FORWARDED(packets[2]!.regId));

    assert.deepEqual(sim.stats().faults, { ...NO_FAULTS, injected5xx: 1, forbidden: 1, slow: 1, down: 1 });
    assert.equal(sim.stats().requests.faults, 13);
    sim.resetStats();
    assert.deepEqual(sim.stats().faults, NO_FAULTS);
  });
});

test('reprocess sim: the fault flags reach the running simulator; bad flags are input errors', async () => {
  const lines: string[] = [];
  let stop!: () => void;
  const untilStopped = new Promise<void>((resolve) => { stop = resolve; });
  const running = runSimulatorCommand({
    dbUrl: db.url, schema: db.schema, port: 0, secret: SECRET,
    faults: {
      serverErrorRate: '10%', slowMs: '20', slowRange: '100-500', dropRate: '0.05', dropMode: 'before',
      tokenUses: '50', forbiddenRate: 'all', downAfter: '100', downFor: '10s', downMode: '503', seed: '12',
    },
  }, { out: (line) => lines.push(line), env: {}, untilStopped });
  try {
    while (!lines.some((l) => l.startsWith('Stop with'))) await sleep(20);
    const url = /listening on (\S+)/.exec(lines[0] ?? '')?.[1];
    assert.ok(url, lines.join('\n'));
    const state = await (await fetch(`${url}/sim/faults`)).json();
    assert.deepEqual(state, {
      settings: {
        seed: 12, serverErrorRate: 0.1, slowMs: 20, slowRangeMs: [100, 500], dropRate: 0.05, dropMode: 'before',
        tokenMaxUses: 50, forbiddenRate: 'all', down: { durationMs: 10_000, startAfterRequests: 100, mode: '503' },
      },
      downUntil: null,
      downStartsAfter: 100,
    });
    const banner = lines.find((l) => l.trim().startsWith('faults:')) ?? '';
    assert.match(banner, /10% 503 \(plain\); slow 20 ms \+ 100-500 ms; drop 5% before the stage; tokens refused after 50 uses; 403 on all; down \(503\) for 10000 ms after 100 more requests \(seed 12\)/);
    assert.ok(lines.some((l) => l.includes('/sim/faults')));
  } finally {
    stop();
    await running;
  }

  for (const faults of [{ serverErrorRate: '2' }, { downAfter: '5' }, { dropMode: 'sideways', dropRate: '0.1' }, { downFor: 'soon' }, { slowRange: '9-1' }]) {
    await assert.rejects(runSimulatorCommand({ dbUrl: db.url, schema: db.schema, port: 0, secret: SECRET, faults }, { out: () => undefined, env: {} }),
      (error: unknown) => error instanceof InputError && /fault injection/.test(error.message), JSON.stringify(faults));
  }
});

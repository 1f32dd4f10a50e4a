// The reference the tool is measured against: a bare undici client that sends the same notifications (same
// body, same cookie, same endpoint) with `connections` keep-alive sockets and as many requests in flight,
// and nothing else: no journal, no log, no database. With connections = 1 it is MOSIP's own pattern
// (reprocess.py sends one request, waits for the reply, sends the next; here over a kept-alive socket, which
// only flatters the baseline). Run as a child process so it gets its own event loop, like the tool:
//   node dist/bench/bareClient.js <url> <requests> <connections> [<database url> <schema>]
// With a database it sends the packets the tool's --db run takes, read the way the tool reads them (the
// library's keyset pages with the default settings, the next page read while this one is sent): the limit of
// a --db run on a machine where PostgreSQL shares the cores. The clock starts with the first notification in
// both modes. Prints one JSON line: { requests, connections, seconds, rate }.
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { AUTH_PATH, NOTIFICATION_PATH, authCookie, authRequestBody, notificationBody, tokenFromSetCookie } from '@mosip-reprocess/contract/wire.js';
import { makeRid } from '@mosip-reprocess/contract/rid.js';
import { createPool } from 'mosip-reprocess/db/connect.js';
import { SETTINGS_SCHEMA } from 'mosip-reprocess/config/settings.js';
import { criteriaOf } from 'mosip-reprocess/source/openSource.js';
import { eligiblePackets } from 'mosip-reprocess/source/dbSource.js';
import { utcCutoff } from 'mosip-reprocess/sql/selectEligible.js';

const [url, countText, connectionsText, dbUrl, schema] = process.argv.slice(2);
const count = Number(countText);
const connections = Number(connectionsText);
if (!url || !(count > 0) || !(connections > 0) || (dbUrl !== undefined && !schema)) {
  throw new Error('usage: bareClient.js <url> <requests> <connections> [<database url> <schema>]');
}

const agent = new Agent({ connections, keepAliveTimeout: 30_000 });
const auth = await request(url + AUTH_PATH, {
  method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' },
  body: JSON.stringify(authRequestBody('mosip-regproc-client', 'bench', 'regproc')),
});
await auth.body.text();
const token = tokenFromSetCookie(auth.headers['set-cookie']);
if (!token) throw new Error('no token');
const cookie = authCookie(token);
const day = new Date('2026-01-01T00:00:00Z');

/** What a notification carries of a packet (the contract's body builder takes it). */
type Packet = Parameters<typeof notificationBody>[0];
const pool = dbUrl ? createPool({ url: dbUrl, max: 2 }) : null;
let packets: AsyncIterator<Packet> | null = null;
let first: Packet | null = null;
if (pool) {
  const settings = SETTINGS_SCHEMA.parse({ dbSchema: schema });
  const criteria = criteriaOf(settings, await utcCutoff(pool, settings.olderThan));
  packets = eligiblePackets(pool, settings.dbSchema, criteria, count);
  const got = await packets.next();
  if (got.done) throw new Error(`no eligible packet in ${schema}`);
  first = got.value;
}

let next = 0;
/** The next packet to send: made up here, with no await (so the plain client pays nothing for the option). */
function made(): Packet | null {
  const i = next++;
  return i < count ? { rid: makeRid(10001, 10002, i, day), process: 'NEW', workflowInstanceId: randomUUID(), iteration: 1, source: null } : null;
}
async function fromDb(): Promise<Packet | null> {
  if (first) {
    const p = first;
    first = null;
    return p;
  }
  const got = await packets!.next();
  return got.done ? null : got.value;
}

let sent = 0;
async function worker(): Promise<void> {
  for (;;) {
    const p = packets ? await fromDb() : made();
    if (!p) return;
    sent += 1;
    const body = notificationBody(p);
    const res = await request(url + NOTIFICATION_PATH, {
      method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body),
    });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
  }
}
const started = performance.now();
await Promise.all(Array.from({ length: connections }, worker));
const seconds = (performance.now() - started) / 1000;
await agent.close();
await pool?.end();
if (sent !== count) throw new Error(`only ${sent} of ${count} packets were eligible in ${schema}`);
process.stdout.write(JSON.stringify({ requests: sent, connections, seconds, rate: sent / seconds }) + '\n');

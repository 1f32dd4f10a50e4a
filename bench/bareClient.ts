// The reference the tool is measured against: a bare undici client that sends the same notifications (same
// body, same cookie, same endpoint) with `connections` keep-alive sockets and as many requests in flight,
// and nothing else: no journal, no log, no database. With connections = 1 it is MOSIP's own pattern
// (reprocess.py sends one request, waits for the reply, sends the next; here over a kept-alive socket, which
// only flatters the baseline). Run as a child process so it gets its own event loop, like the tool:
//   node dist/bench/bareClient.js <url> <requests> <connections>
// Prints one JSON line: { requests, connections, seconds, rate }.
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { AUTH_PATH, NOTIFICATION_PATH, authCookie, authRequestBody, notificationBody, tokenFromSetCookie } from '@mosip-reprocess/contract/wire.js';
import { makeRid } from '@mosip-reprocess/contract/rid.js';

const [url, countText, connectionsText] = process.argv.slice(2);
const count = Number(countText);
const connections = Number(connectionsText);
if (!url || !(count > 0) || !(connections > 0)) throw new Error('usage: bareClient.js <url> <requests> <connections>');

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

let next = 0;
async function worker(): Promise<void> {
  while (next < count) {
    const i = next++;
    const body = notificationBody({ rid: makeRid(10001, 10002, i, day), process: 'NEW', workflowInstanceId: randomUUID(), iteration: 1, source: null });
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
process.stdout.write(JSON.stringify({ requests: count, connections, seconds, rate: count / seconds }) + '\n');

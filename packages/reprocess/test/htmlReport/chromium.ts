// Opens a file in headless Chromium (Debian's `chromium`) driven over the DevTools protocol on a pipe, and
// reports what a person opening it would meet: console errors, uncaught exceptions, every network request,
// and the value of an expression evaluated in the page.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? null;
export const NO_CHROMIUM = CHROMIUM ? false : "Debian's chromium is not installed (apt-get install -y chromium)";

export interface PageVisit {
  consoleErrors: string[];
  exceptions: string[];
  requests: string[];
  value: unknown;
}

type Message = { id?: number; method?: string; params?: Record<string, any>; result?: Record<string, any>; error?: { message: string }; sessionId?: string };

/** Opens each file in its own tab of one headless Chromium, evaluates `expression` there, and reports. */
export async function visit(fileUrls: readonly string[], expression: string, timeoutMs = 60_000): Promise<PageVisit[]> {
  if (!CHROMIUM) throw new Error('chromium is not installed');
  const profile = mkdtempSync(join(tmpdir(), 'report-chromium-'));
  const child: ChildProcess = spawn(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  const waiting = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  const listeners: ((m: Message) => void)[] = [];
  let nextId = 0;
  let pending = Buffer.alloc(0);
  fromBrowser.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    let end: number;
    while ((end = pending.indexOf(0)) >= 0) {
      const message = JSON.parse(pending.subarray(0, end).toString('utf8')) as Message;
      pending = pending.subarray(end + 1);
      if (message.id !== undefined && waiting.has(message.id)) {
        const w = waiting.get(message.id)!;
        waiting.delete(message.id);
        if (message.error) w.reject(new Error(message.error.message)); else w.resolve(message);
      } else for (const l of listeners) l(message);
    }
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Message> => new Promise((resolve, reject) => {
    const id = ++nextId;
    waiting.set(id, { resolve, reject });
    toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      (async () => {
        const visits: PageVisit[] = [];
        for (const fileUrl of fileUrls) {
        const out: PageVisit = { consoleErrors: [], exceptions: [], requests: [], value: undefined };
        const { result: target } = await send('Target.createTarget', { url: 'about:blank' });
        const { result: attached } = await send('Target.attachToTarget', { targetId: target!.targetId, flatten: true });
        const session = attached!.sessionId as string;
        let loaded!: () => void;
        const load = new Promise<void>((r) => { loaded = r; });
        listeners.push((m) => {
          if (m.sessionId !== session) return;
          if (m.method === 'Runtime.consoleAPICalled' && (m.params!.type === 'error' || m.params!.type === 'assert')) out.consoleErrors.push(JSON.stringify(m.params!.args));
          if (m.method === 'Runtime.exceptionThrown') out.exceptions.push(JSON.stringify(m.params!.exceptionDetails));
          if (m.method === 'Log.entryAdded' && m.params!.entry.level === 'error') out.consoleErrors.push(String(m.params!.entry.text));
          if (m.method === 'Network.requestWillBeSent') out.requests.push(String(m.params!.request.url));
          if (m.method === 'Page.loadEventFired') loaded();
        });
        for (const domain of ['Runtime.enable', 'Log.enable', 'Network.enable', 'Page.enable']) await send(domain, {}, session);
        await send('Page.navigate', { url: fileUrl }, session);
        await load;
        const { result } = await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, session);
        if (result!.exceptionDetails) throw new Error(`evaluation failed: ${JSON.stringify(result!.exceptionDetails)}`);
        out.value = result!.result.value;
        // Give late console messages a moment (a script error after load would show here).
        await send('Runtime.evaluate', { expression: 'new Promise((r) => setTimeout(r, 200))', awaitPromise: true }, session);
        visits.push(out);
        }
        return visits;
      })(),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`chromium did not load ${fileUrls.join(', ')} in ${timeoutMs} ms`)), timeoutMs); }),
    ]);
  } finally {
    clearTimeout(timer);
    try { toBrowser.write(JSON.stringify({ id: ++nextId, method: 'Browser.close' }) + '\0'); } catch { /* gone */ }
    await new Promise<void>((r) => {
      if (child.exitCode !== null) return r();
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => { clearTimeout(kill); r(); });
    });
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Evaluated in the page: for every chart, how many marks it has and how many have a visible size; and a sort check. */
export const CHART_PROBE = `(() => {
  const charts = [...document.querySelectorAll('svg.chart')].map((svg) => {
    const marks = [...svg.querySelectorAll('.mark')];
    const drawn = marks.filter((m) => { const b = m.getBBox(); return (b.width > 0 && b.height > 0) || (m.tagName === 'path' && m.getTotalLength() > 0); });
    return { label: svg.getAttribute('aria-label'), marks: marks.length, drawn: drawn.length, width: svg.getBoundingClientRect().width };
  });
  return { charts, title: document.title, tables: document.querySelectorAll('table').length };
})()`;

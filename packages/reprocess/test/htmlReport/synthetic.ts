// A run directory with a synthetic journal, written fast, for the report's tests.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** A run directory with a synthetic journal written fast: `n` packets, some failing, an interruption and a resume. */
export function syntheticRun(runsDir: string, n: number, secret: string, opts: { pace?: boolean } = {}): string {
  const id = '20261130-010000-abcd';
  const dir = join(runsDir, id);
  mkdirSync(dir, { recursive: true });
  const t0 = Date.parse('2026-11-30T01:00:00.000Z');
  const half = Math.floor(n / 2);
  const resumeAt = t0 + half * 10 + 600_000;
  writeFileSync(join(dir, 'run.json'), JSON.stringify({
    id, createdAt: new Date(t0).toISOString(), flags: { db: true }, configFile: null, source: 'db (APPROACH 1)', resumes: [new Date(resumeAt).toISOString()],
    settings: { server: 'https://mosip.example', clientSecret: '(set, hidden)', dbUrl: `postgres://regprc:${secret}@db/mosip_regprc`, approach: 1, trnStatuses: ['SUCCESS'], maxRetries: 500, olderThan: '1d', excludeStatuses: ['PROCESSED'], limit: n },
  }));
  const fd = openSync(join(dir, 'journal.jsonl'), 'w');
  let buf = '';
  const outcomes = ['forwarded', 'forwarded', 'forwarded', 'forwarded', 'forwarded', 'forwarded', 'forwarded', 'not_found', 'not_uploaded', 'stage_error'];
  for (let i = 0; i < n; i++) {
    const ms = i < half ? t0 + i * 10 : resumeAt + 1000 + (i - half) * 10;
    if (i === half) {
      buf += `{"t":"end","at":"${new Date(t0 + half * 10).toISOString()}","exitCode":1,"stop":"interrupted"}\n`;
    }
    const at = new Date(ms).toISOString();
    const wf = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const rid = `1000110001${String(i).padStart(19, '0')}`;
    const o = outcomes[i % 10]!;
    buf += `{"t":"send","at":"${at}","wf":"${wf}","rid":"${rid}","process":"${i % 4 ? 'NEW' : 'UPDATE'}","iteration":1,"source":null,"origin":"db","attempt":1,"stage":"${i % 3 ? 'UPLOAD_PACKET' : 'QUALITY_CHECK'}"}\n`;
    buf += `{"t":"result","at":"${at}","wf":"${wf}","rid":"${rid}","attempt":1,"outcome":"${o}","http":200,"reply":"${o === 'forwarded' ? 'ok' : 'no'}","latencyMs":${(i * 7) % 900},"startedAt":"${at}"}\n`;
    if (opts.pace && i % 20 === 0) buf += `{"t":"pace","at":"${at}","ratePerSec":${5 + (i % 9)},"inPipeline":${(i * 3) % 40},"waitingMs":${(i * 11) % 20000},"maxWaitMs":15000}\n`;
    if (i === 100) buf += `{"t":"breaker","at":"${at}","state":"open","detail":"12 of 20 failed in transit"}\n{"t":"token","at":"${at}","reason":"expiry"}\n`;
    if (buf.length > 1 << 20) { writeSync(fd, buf); buf = ''; }
  }
  buf += `{"t":"end","at":"${new Date(resumeAt + 2000 + n * 10).toISOString()}","exitCode":1,"stop":null}\n`;
  writeSync(fd, buf);
  closeSync(fd);
  return id;
}

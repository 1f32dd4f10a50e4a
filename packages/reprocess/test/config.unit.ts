import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings, redactSettings } from '../src/config/load.js';
import { MAX_TIMER_MS, parseDurationMs, parseNumber, parseShare, ValueProblem } from '../src/config/values.js';
import { InputError } from '../src/errors.js';
import { validateBeforeRun } from '../src/config/validate.js';
import { readQueryFile } from '../src/config/queryFile.js';

const dir = mkdtempSync(join(tmpdir(), 'reprocess-config-'));
function yamlFile(text: string): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

test('defaults are the guide\'s APPROACH 1 values', () => {
  const { settings } = loadSettings({ flags: {}, env: {} });
  assert.deepEqual(settings.trnStatuses, ['SUCCESS', 'REPROCESS', 'IN_PROGRESS']);
  assert.deepEqual(settings.excludeStatuses, ['PROCESSED', 'FAILED', 'REJECTED']);
  assert.equal(settings.maxRetries, 500);
  assert.equal(settings.olderThan, 86400);
  assert.equal(settings.limit, 1000);
  assert.equal(settings.delay, 1);
  assert.equal(settings.approach, 1);
  assert.equal(settings.clientId, 'mosip-regproc-client');
  assert.equal(settings.appId, 'regproc');
  assert.equal(settings.dbName, 'mosip_regprc');
  assert.equal(settings.dbSchema, 'regprc');
  assert.equal(settings.insecure, false);
});

test('flags win over environment, which wins over the config file', () => {
  const file = yamlFile('limit: 10\ndelay: 0.5\ndbHost: from-file\nclientId: file-client\n');
  const { settings, origins } = loadSettings({
    flags: { limit: '3' },
    env: { REPROCESS_LIMIT: '7', DB_HOST: 'from-env', REPROCESS_DELAY: '0.25' },
    configFile: file,
  });
  assert.equal(settings.limit, 3);
  assert.equal(settings.delay, 0.25);
  assert.equal(settings.dbHost, 'from-env');
  assert.equal(settings.clientId, 'file-client');
  assert.equal(origins.limit, '--limit');
  assert.equal(origins.dbHost, 'environment variable DB_HOST');
});

test('the guide\'s environment names are read: DB_HOST, DB_PORT, DB_USER, DB_PWD, DB_NAME, REGPROC_CLIENT_PWD', () => {
  const { settings } = loadSettings({
    flags: {},
    env: { DB_HOST: 'h', DB_PORT: '6543', DB_USER: 'u', DB_PWD: 'p', DB_NAME: 'n', REGPROC_CLIENT_PWD: 's' },
  });
  assert.deepEqual([settings.dbHost, settings.dbPort, settings.dbUser, settings.dbPassword, settings.dbName, settings.clientSecret],
    ['h', 6543, 'u', 'p', 'n', 's']);
});

test('a bad value in the config file names the file, the line and the setting', () => {
  const file = yamlFile('# night run\nserver: https://x.example\n\nolderThan: yesterday\n');
  assert.throws(() => loadSettings({ flags: {}, env: {}, configFile: file }), (err: unknown) => {
    assert.ok(err instanceof InputError);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, new RegExp(`${file.replace(/[.]/g, '\\.')}:4 \\(olderThan\\)`));
    assert.match(err.message, /1d, 36h, 90m/);
    return true;
  });
});

test('an unknown key in the config file is refused with its line', () => {
  const file = yamlFile('limit: 5\nlimmit: 6\n');
  assert.throws(() => loadSettings({ flags: {}, env: {}, configFile: file }), /:2: unknown setting "limmit"/);
});

test('kebab-case flag names are accepted in the config file', () => {
  const file = yamlFile('older-than: 36h\nmax-retries: 20\nschema: regprc_copy\n');
  const { settings } = loadSettings({ flags: {}, env: {}, configFile: file });
  assert.equal(settings.olderThan, 36 * 3600);
  assert.equal(settings.maxRetries, 20);
  assert.equal(settings.dbSchema, 'regprc_copy');
});

test('bad flags and env values name their origin', () => {
  assert.throws(() => loadSettings({ flags: { delay: '-1' }, env: {} }), /--delay:/);
  assert.throws(() => loadSettings({ flags: {}, env: { DB_PORT: 'x' } }), /environment variable DB_PORT/);
  assert.throws(() => loadSettings({ flags: { limit: '0' }, env: {} }), /--limit:/);
  assert.throws(() => loadSettings({ flags: { approach: '3' }, env: {} }), /--approach:/);
  assert.throws(() => loadSettings({ flags: { server: 'ftp://x' }, env: {} }), /--server:/);
  assert.throws(() => loadSettings({ flags: { stages: 'custom stage' }, env: {} }), /--stages:/);
});

test('--retry-delay: the first retry\'s backoff and the most it grows to; bad ranges name the flag', () => {
  assert.deepEqual(loadSettings({ flags: {}, env: {} }).settings.retryDelay, { firstMs: 500, maxMs: 15_000 });
  assert.deepEqual(loadSettings({ flags: { retryDelay: '0.02s-0.2s' }, env: {} }).settings.retryDelay, { firstMs: 20, maxMs: 200 });
  assert.deepEqual(loadSettings({ flags: {}, env: { REPROCESS_RETRY_DELAY: '1s-1m' } }).settings.retryDelay, { firstMs: 1000, maxMs: 60_000 });
  for (const bad of ['5s-1s', '1s', '1s-2s-3s', 'soon-later', '-1s']) {
    assert.throws(() => loadSettings({ flags: { retryDelay: bad }, env: {} }), /--retry-delay:/, bad);
  }
});

test('secrets never appear in errors or in the redacted settings', () => {
  const secret = 'S3cr3t-value-xyz';
  assert.throws(() => loadSettings({ flags: {}, env: { REPROCESS_DB_URL: `mysql://u:${secret}@h/db` } }), (err: Error) => {
    assert.doesNotMatch(err.message, new RegExp(secret));
    return true;
  });
  const { settings } = loadSettings({ flags: {}, env: { REGPROC_CLIENT_PWD: secret, DB_PWD: secret } });
  const shown = JSON.stringify(redactSettings(settings));
  assert.doesNotMatch(shown, new RegExp(secret));
  assert.match(shown, /set, hidden/);
});

test('durations: ms, s, m, h, d and decimals; a bare number in the unit given; malformed ones refused', () => {
  const age = { bareUnit: 's', unitRequired: true, minMs: 0, maxMs: 3650 * 86_400_000 } as const;
  assert.equal(parseDurationMs('1d', age), 86_400_000);
  assert.equal(parseDurationMs('36h', age), 129_600_000);
  assert.equal(parseDurationMs('90m', age), 5_400_000);
  assert.equal(parseDurationMs('1.5d', age), 129_600_000);
  assert.equal(parseDurationMs('0m', age), 0);
  assert.equal(parseDurationMs(45, age), 45_000, 'a YAML number is seconds');
  for (const bad of ['1 day', '-1d', '90', '', '1e3s', 'Infinity', '.infs']) assert.throws(() => parseDurationMs(bad, age), ValueProblem, bad);
  const delay = { bareUnit: 's', minMs: 0, maxMs: 86_400_000 } as const;
  assert.equal(parseDurationMs('0.3', delay), 300);
  assert.equal(parseDurationMs('500ms', delay), 500);
  assert.equal(parseDurationMs(1.1, delay), 1100, 'no float noise (1100.0000000000002)');
  assert.throws(() => parseDurationMs(Infinity, delay), /from 0s to 1d/);
  assert.equal(parseDurationMs('1500', { bareUnit: 'ms', minMs: 0, maxMs: MAX_TIMER_MS }), 1500);
});

test('numbers: plain decimals only, finite and in range', () => {
  const spec = { min: 0, max: 100 };
  assert.equal(parseNumber('2.5', spec), 2.5);
  assert.equal(parseNumber(' 7 ', spec), 7);
  assert.equal(parseNumber('1e1', spec), 10);
  for (const bad of ['', ' ', '0x10', 'Infinity', '1e400', 'ten', '5%', Infinity, NaN, 101, -1, null, true]) {
    assert.throws(() => parseNumber(bad, spec), /must be a number from 0 to 100/, String(bad));
  }
  assert.throws(() => parseNumber('2.5', { min: 1, max: 9, integer: true }), /whole number from 1 to 9/);
  assert.throws(() => parseNumber('0', { min: 0, max: 1, aboveMin: true }), /more than 0 and at most 1/);
  assert.equal(parseShare('10%'), 0.1);
  assert.equal(parseShare('all', { allowAll: true }), 'all');
  assert.throws(() => parseShare('0', { aboveZero: true }), /share more than 0/);
  assert.throws(() => parseShare('150%'), /share from 0 to 1/);
});

test('every duration and number setting refuses what a timer cannot hold (2^31-1 ms) or what is not finite', () => {
  assert.equal(MAX_TIMER_MS, 2_147_483_647);
  const cases: Record<string, string[]> = {
    delay: ['1e400', '2147484', '25d'],
    timeout: ['1e400', '2147484', '0', '2h'],
    rate: ['0', '1e-400', '0.0000001', '1e400'],
    olderThan: ['3651d', '1e400d'],
    canaryTimeout: ['25d', '0s'],
    breakerCooldown: ['25d'],
    breakerPatience: ['25d'],
    maxDuration: ['25d', '0s'],
    progressInterval: ['25d'],
    limit: ['1e400', '0x10', '2e9'],
    maxPackets: ['1e400'],
    concurrency: ['1e400'],
  };
  for (const [key, values] of Object.entries(cases)) {
    for (const value of values) {
      assert.throws(() => loadSettings({ flags: { [key]: value }, env: {} }), InputError, `${key} ${value}`);
    }
  }
  // The ones at the edge of their range are accepted and exact.
  const { settings } = loadSettings({
    flags: { delay: '86400', maxDuration: '24d', rate: '0.001', breakerPatience: '1d', olderThan: '3650d' }, env: {},
  });
  assert.deepEqual([settings.delay, settings.maxDuration, settings.rate, settings.breakerPatience, settings.olderThan],
    [86400, 24 * 86400, 0.001, 86400, 3650 * 86400]);
});

test('a refused value names where it came from: flag, environment variable, or file:line', () => {
  assert.throws(() => loadSettings({ flags: {}, env: { REPROCESS_TIMEOUT: '1e400' } }),
    /environment variable REPROCESS_TIMEOUT: must be a duration .*at most 1h \(got "1e400"\)/);
  const file = yamlFile('limit: 5\ndelay: .inf\n');
  assert.throws(() => loadSettings({ flags: {}, env: {}, configFile: file }), new RegExp(`${file.replace(/[.]/g, '\\.')}:2 \\(delay\\): .*\\(got Infinity\\)`));
});

test('YAML errors give file, line and column and where an unclosed bracket or quote opened, never the text of a line (it may hold a secret)', () => {
  const bracket = yamlFile('server: https://x.example\nstages: [A, B\nlimit: 5\n');
  assert.throws(() => loadSettings({ flags: {}, env: {}, configFile: bracket }), (err: unknown) => {
    assert.ok(err instanceof InputError);
    const lines = err.message.split('\n');
    assert.match(lines[0]!, /:3:1: not valid YAML \(.*a bracket above left open\); the line is not shown/);
    assert.match(lines[1]!, /the \[ opened at line 2, column 9 is not closed$/);
    assert.doesNotMatch(err.message, /limit: 5|stages: \[A/);
    return true;
  });
  const indent = yamlFile('limit: 5\n  delay: 2\n');
  assert.throws(() => loadSettings({ flags: {}, env: {}, configFile: indent }), /:1:8: not valid YAML \(.*\); the line is not shown/);
  // A secret with its quote left open, a secret in a bad escape, a secret in a flow list: never echoed.
  const secrets: [string, RegExp][] = [
    ['clientSecret: "S3cr3t-value-1\nlimit: 5\n', /the " opened at line 1, column 15 is not closed/],
    ['server: https://x.example\nclientSecret: "S3cr3t\\q-value-1"\n', /:2:\d+: not valid YAML \(an invalid \\ escape/],
    ['dbPassword: [S3cr3t-value-1\nlimit: 5\n', /the \[ opened at line 1, column 13 is not closed/],
    ['dbPassword: S3cr3t-value-1: x\n', /:1:\d+: not valid YAML/],
    ["server: https://x.example\nclientSecret: 'S3cr3t-value-1\nlimit: 5\n", /the ' opened at line 2, column 15 is not closed/],
  ];
  for (const [text, expected] of secrets) {
    const f = yamlFile(text);
    assert.throws(() => loadSettings({ flags: {}, env: {}, configFile: f }), (err: unknown) => {
      assert.ok(err instanceof InputError, String(err));
      assert.match(err.message, expected);
      assert.doesNotMatch(err.message, /S3cr3t/, text);
      return true;
    });
  }
});

test('up-front checks: directories that are files or lie under a file, query files without a query, a missing CA file', () => {
  const plain = yamlFile('x');
  const base = loadSettings({ flags: {}, env: {} });
  const check = (flags: Record<string, unknown>, extra: { dryRun?: boolean } = {}) => {
    const { settings, origins } = loadSettings({ flags: { logDir: join(dir, 'logs'), runsDir: join(dir, 'runs'), ...flags }, env: {} });
    validateBeforeRun({ settings, origins, ...extra });
  };
  check({});
  assert.throws(() => check({ runsDir: plain }), /--runs-dir .*: is a file, not a directory$/);
  assert.throws(() => check({ runsDir: join(plain, 'a', 'b') }), /--runs-dir .*: cannot create it, .* is a file, not a directory/);
  assert.throws(() => check({ logDir: plain }), /--log-dir .*: is a file, not a directory/);
  check({ logDir: plain }, { dryRun: true });
  const withLogDirAsDir = join(dir, 'logs-with-dir');
  mkdirSync(join(withLogDirAsDir, 'out.log'), { recursive: true });
  assert.throws(() => check({ logDir: withLogDirAsDir }), /--log-dir .*: out\.log there is a directory/);
  assert.throws(() => check({ caFile: join(dir, 'no-ca.pem') }), /--ca-file .*no-ca\.pem: cannot read it \(ENOENT\)/);
  assert.throws(() => check({ queryFile: yamlFile('  \n') }), /--query-file .*: the file is empty/);
  assert.throws(() => check({ queryFile: yamlFile('-- TODO: paste the query\n') }), /the file holds only comments, no query/);
  assert.equal(readQueryFile(yamlFile('-- pick them\nSELECT reg_id, process, workflow_instance_id FROM regprc.registration -- all\n')).includes('SELECT'), true);
  // The origin is named as the operator gave it: an environment variable, or the default.
  const fromEnv = loadSettings({ flags: {}, env: { REPROCESS_RUNS_DIR: plain } });
  assert.throws(() => validateBeforeRun(fromEnv), / environment variable REPROCESS_RUNS_DIR .*: is a file/);
  assert.ok(base.settings.runsDir === 'reprocess-runs');
});

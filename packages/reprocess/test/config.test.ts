import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings, redactSettings } from '../src/config/load.js';
import { parseDuration } from '../src/config/duration.js';
import { InputError } from '../src/errors.js';

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

test('durations: d, h, m, s and decimals', () => {
  assert.equal(parseDuration('1d'), 86400);
  assert.equal(parseDuration('36h'), 129600);
  assert.equal(parseDuration('90m'), 5400);
  assert.equal(parseDuration('1.5d'), 129600);
  assert.equal(parseDuration('0m'), 0);
  assert.equal(parseDuration('1 day'), null);
  assert.equal(parseDuration('-1d'), null);
});

// The simulator's and the demo's flags read numbers and durations through the product's one parser
// (mosip-reprocess/config/values.js): the same values are accepted and refused everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from 'mosip-reprocess/errors.js';
import { FaultSettingsError, parseMillisText, parseRateText } from '../src/sim/faults.js';
import { numberOption, parsePipelineSettings } from '../src/demo/pipelineOptions.js';
import { clockSkewOption, runSimulatorCommand } from '../src/sim/cli.js';
import { TEST_DB_URL } from '@mosip-reprocess/testkit/db.js';

test('fault durations: units, bare milliseconds, nothing a timer cannot hold', () => {
  assert.equal(parseMillisText('--fault-down-for', '10s'), 10_000);
  assert.equal(parseMillisText('--fault-down-for', '500'), 500);
  assert.equal(parseMillisText('--fault-down-for', '1.5m'), 90_000);
  assert.equal(parseMillisText('--fault-down-for', '24d'), 24 * 86_400_000);
  for (const bad of ['1e400', '25d', 'Infinity', '', '-5s', 'soon']) {
    assert.throws(() => parseMillisText('--fault-down-for', bad), (err: unknown) => {
      assert.ok(err instanceof FaultSettingsError);
      assert.match(err.message, new RegExp(`^--fault-down-for must be a duration .* from 0s to 24d, got ${bad}$`));
      return true;
    }, bad);
  }
});

test('fault rates: a share, a percentage, or all where allowed', () => {
  assert.equal(parseRateText('--fault-5xx-rate', '0.25'), 0.25);
  assert.equal(parseRateText('--fault-5xx-rate', '10%'), 0.1);
  assert.equal(parseRateText('--fault-403-rate', 'all', true), 'all');
  assert.throws(() => parseRateText('--fault-5xx-rate', 'all'), /--fault-5xx-rate must be a share from 0 to 1 \(or a percentage like 10%\), got all/);
  assert.throws(() => parseRateText('--fault-5xx-rate', '1e400'), FaultSettingsError);
});

test('demo and pipeline numbers: finite, plain decimals, in range', () => {
  assert.equal(numberOption('--delay', '0.5', 0, 60, 'seconds between notifications'), 0.5);
  for (const bad of ['1e400', 'Infinity', '0x10', '', '61']) {
    assert.throws(() => numberOption('--delay', bad, 0, 60, 'seconds between notifications'), (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.message, `--delay must be a number from 0 to 60 (seconds between notifications), got ${bad}`);
      return true;
    }, bad);
  }
  assert.throws(() => numberOption('--packets', '2.5', 1, 10, 'rows', true), /--packets must be a whole number from 1 to 10 \(rows\), got 2\.5/);
});

test('--clock-skew: a signed duration, ahead or behind, at most a day', () => {
  assert.equal(clockSkewOption(undefined), 0);
  assert.equal(clockSkewOption('+90s'), 90_000);
  assert.equal(clockSkewOption('90s'), 90_000);
  assert.equal(clockSkewOption('-5s'), -5_000);
  assert.equal(clockSkewOption('-1.5m'), -90_000);
  assert.equal(clockSkewOption('250'), 250, 'a bare number is ms');
  for (const bad of ['2d', '-25h', 'soon', '', '--5s', '1e400']) {
    assert.throws(() => clockSkewOption(bad), (err: unknown) => err instanceof InputError && /^--clock-skew must be a signed duration like \+90s/.test(err.message), bad);
  }
});

test('--pipeline-hold and --pipeline-hold-at: a share, and where held packets wait', () => {
  const defaults = { latency: 200, capacity: 20, failureRate: 0, failureMode: 'REPROCESS' as const };
  const flags = { latency: '--pipeline-latency', capacity: '--pipeline-capacity', failureRate: '--pipeline-failure-rate', failureMode: '--pipeline-failure-mode', seed: '--pipeline-seed' };
  assert.equal(parsePipelineSettings({}, defaults, flags).hold, undefined);
  assert.deepEqual(parsePipelineSettings({ hold: '20%' }, defaults, flags).hold, { share: 0.2, at: 'BIOGRAPHIC_VERIFICATION' });
  assert.deepEqual(parsePipelineSettings({ hold: '1', holdAt: 'manual_adjudication' }, defaults, flags).hold, { share: 1, at: 'MANUAL_ADJUDICATION' });
  assert.throws(() => parsePipelineSettings({ hold: '1.5' }, defaults, flags), /--pipeline-hold must be a share from 0 to 1 \(or a percentage like 10%\), got 1\.5$/);
  assert.throws(() => parsePipelineSettings({ hold: '0.5', holdAt: 'UIN_GENERATOR' }, defaults, flags), /--pipeline-hold-at must be one of BIOGRAPHIC_VERIFICATION, MANUAL_ADJUDICATION, got UIN_GENERATOR/);
  assert.throws(() => parsePipelineSettings({ holdAt: 'MANUAL_ADJUDICATION' }, defaults, flags), /--pipeline-hold-at says where held packets wait: add --pipeline-hold <share>/);
});

test('sim\'s errors name what exists: the secret comes from REGPROC_CLIENT_PWD (there is no --secret flag), the tables from `reprocess sim schema`', async () => {
  const io = { out: () => undefined, env: {} };
  await assert.rejects(runSimulatorCommand({ port: 0 }, io), (err: unknown) => {
    assert.ok(err instanceof InputError);
    assert.equal(err.message, 'no client secret: set REGPROC_CLIENT_PWD to the secret client mosip-regproc-client must present (it is read only from the environment)');
    return true;
  });
  const schema = `nothing_here_${process.pid}`;
  const withSecret = { out: () => undefined, env: { REGPROC_CLIENT_PWD: 'S3cret-never-printed' } };
  await assert.rejects(runSimulatorCommand({ port: 0, dbUrl: TEST_DB_URL, schema }, withSecret), (err: unknown) => {
    assert.ok(err instanceof InputError);
    assert.equal(err.message, `schema ${schema} has no registration table: create the tables first with \`reprocess sim schema --db-url <the same URL> --schema ${schema}\``);
    assert.ok(!err.message.includes(TEST_DB_URL), 'the URL (it may hold a password) is not repeated');
    return true;
  });
});

// The simulator's and the demo's flags read numbers and durations through the product's one parser
// (mosip-reprocess/config/values.js): the same values are accepted and refused everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from 'mosip-reprocess/errors.js';
import { FaultSettingsError, parseMillisText, parseRateText } from '../src/sim/faults.js';
import { numberOption } from '../src/demo/pipelineOptions.js';

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

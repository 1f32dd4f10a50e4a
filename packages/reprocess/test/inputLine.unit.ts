// One line / one --registration value: every accepted spelling and every rejected field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../src/errors.js';
import { parsePacketLine, parseRegistrationArg, parseHeader, type ParsedLine, type ParseProblem } from '../src/source/packetLine.js';

const RID = '10001101040000520220809113748';
const WF = 'e6e944b1-5c4b-42aa-b749-b39428cb7512';

function problemOf(result: ParsedLine | ParseProblem): ParseProblem {
  assert.equal(result.kind, 'problem', `expected a problem, got ${JSON.stringify(result)}`);
  return result as ParseProblem;
}

test('a RID alone is a RID-only entry', () => {
  assert.deepEqual(parsePacketLine(`  ${RID}  `, 'f:1'), { kind: 'rid', rid: RID, origin: 'f:1' });
  assert.deepEqual(parsePacketLine(`'${RID}'`, 'f:1'), { kind: 'rid', rid: RID, origin: 'f:1' });
});

test('three fields: unquoted, single-quoted (MOSIP README), double-quoted and typographic quotes give the same entry', () => {
  const expected = { kind: 'full', rid: RID, process: 'NEW', workflowInstanceId: WF, iteration: null, source: null, origin: 'o' };
  for (const line of [
    `${RID},NEW,${WF}`,
    `${RID}, NEW, ${WF}`,
    `'${RID}', 'NEW', '${WF}'`,
    `"${RID}" , "NEW" , "${WF}"`,
    `\u2018${RID}\u2019, \u201CNEW\u201D, '${WF}'`,
    `${RID}, 'new', "${WF}"\r`,
  ]) {
    assert.deepEqual(parsePacketLine(line, 'o'), expected, line);
  }
});

test('iteration and source as 4th and 5th fields; empty ones mean "not given"; source is upper-cased', () => {
  assert.deepEqual(parsePacketLine(`${RID}, UPDATE, ${WF}, 3, resident`, 'o'), {
    kind: 'full', rid: RID, process: 'UPDATE', workflowInstanceId: WF, iteration: 3, source: 'RESIDENT', origin: 'o',
  });
  const empties = parsePacketLine(`${RID}, LOST, ${WF}, '', `, 'o');
  assert.equal(empties.kind, 'full');
  assert.equal((empties as { iteration: unknown }).iteration, null);
  assert.equal((empties as { source: unknown }).source, null);
});

test('blank lines and comments are skipped', () => {
  assert.equal(parsePacketLine('   ', 'o').kind, 'skip');
  assert.equal(parsePacketLine('  # a comment, with commas', 'o').kind, 'skip');
});

test('each bad field is named with its reason', () => {
  const cases: Array<[string, string | undefined, RegExp]> = [
    [`${RID}, NEW`, undefined, /has 2 fields; expected 1 \(reg_id\), 3/],
    [`${RID}, NEW, ${WF}, 1, RESIDENT, extra`, undefined, /has 6 fields/],
    ['1000110104000052022080911374', 'reg_id', /must be 29 digits, got 28/],
    ['1000110104000052022080911374X', 'reg_id', /digits only/],
    ['10001101040000520221309113748', 'reg_id', /timestamp 20221309113748/],
    [`${RID} NEW ${WF}`, 'reg_id', /separated by commas/],
    [`${RID}, NEWW, ${WF}`, 'process', /unknown process "NEWW"; expected one of NEW, UPDATE/],
    [`${RID}, , ${WF}`, 'process', /is empty/],
    [`${RID}, NEW, not-a-uuid`, 'workflow_instance_id', /"not-a-uuid" is not a UUID/],
    [`${RID}, NEW, ${WF}, 0`, 'iteration', /"0" is not a positive integer/],
    [`${RID}, NEW, ${WF}, 1.5`, 'iteration', /"1.5" is not a positive integer/],
    [`${RID}, NEW, ${WF}, -2`, 'iteration', /"-2" is not a positive integer/],
    [`${RID}, NEW, ${WF}, 1, KIOSK`, 'source', /unknown source "KIOSK"; expected one of REGISTRATION_CLIENT/],
    [`'${RID}, NEW, ${WF}`, 'reg_id', /unbalanced quote/],
    [`${RID}, "NEW', ${WF}`, 'process', /unbalanced quote/],
  ];
  for (const [line, field, reason] of cases) {
    const problem = problemOf(parsePacketLine(line, 'f.txt:9'));
    assert.equal(problem.origin, 'f.txt:9');
    assert.equal(problem.issues[0]?.field, field, line);
    assert.match(problem.issues[0]?.reason ?? '', reason, line);
  }
});

test('several bad fields on one line are all reported', () => {
  const problem = problemOf(parsePacketLine(`123, NEWW, nope, x, y`, 'o'));
  assert.deepEqual(problem.issues.map((i) => i.field), ['reg_id', 'process', 'workflow_instance_id', 'iteration', 'source']);
});

test('a header layout maps named columns in any order', () => {
  const header = parseHeader('workflow_instance_id, "RID", process, source, iteration');
  assert.ok('layout' in header);
  assert.deepEqual(parsePacketLine(`${WF}, ${RID}, new, , 2`, 'o', header.layout), {
    kind: 'full', rid: RID, process: 'NEW', workflowInstanceId: WF, iteration: 2, source: null, origin: 'o',
  });
  const problem = problemOf(parsePacketLine(`${RID}, NEW, ${WF}`, 'o', header.layout));
  assert.match(problem.issues[0]?.reason ?? '', /has 3 fields; expected 5 as in the header/);
});

test('bad headers are rejected', () => {
  assert.ok('issues' in parseHeader('reg_id, process, colour'));
  assert.ok('issues' in parseHeader('reg_id, reg_id'));
  assert.ok('issues' in parseHeader('process, workflow_instance_id'));
  assert.ok('issues' in parseHeader('reg_id, process'));
  assert.ok('layout' in parseHeader('regId'));
});

test('--registration takes a full triple or a RID and throws InputError (exit 2) naming the field', () => {
  assert.deepEqual(parseRegistrationArg(`'${RID}', 'NEW', '${WF}'`), {
    kind: 'full', rid: RID, process: 'NEW', workflowInstanceId: WF, iteration: null, source: null, origin: '--registration',
  });
  assert.deepEqual(parseRegistrationArg(RID), { kind: 'rid', rid: RID, origin: '--registration' });
  for (const [bad, pattern] of [
    [`${RID}, NEW, xyz`, /^--registration: workflow_instance_id: "xyz" is not a UUID/],
    ['', /^--registration: is empty/],
  ] as const) {
    assert.throws(() => parseRegistrationArg(bad), (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.exitCode, 2);
      assert.match(err.message, pattern);
      return true;
    });
  }
});

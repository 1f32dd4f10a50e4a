import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyReply, notificationBody, tokenFromCookieHeader, tokenFromSetCookie } from '@mosip-reprocess/contract/wire.js';

const RID = '10001101040000520220809113748';

test('replies are classified by status and text, as MOSIP sends no code', () => {
  assert.equal(classifyReply(200, `"Packet with registrationId '${RID}' has been forwarded to next stage"`, RID), 'forwarded');
  assert.equal(classifyReply(200, `"Packet with registrationId '${RID}' has not been uploaded to file System"`, RID), 'not_uploaded');
  assert.equal(classifyReply(200, 'null', RID), 'not_found');
  assert.equal(classifyReply(200, ' null\n', RID), 'not_found');
  assert.equal(classifyReply(200, '"Index 0 out of bounds for length 0"', RID), 'stage_error');
  assert.equal(classifyReply(200, 'plain text, not JSON', RID), 'stage_error');
  assert.equal(classifyReply(401, '{"errors":[{"errorCode":"KER-ATH-401"}]}', RID), 'unauthorized');
  assert.equal(classifyReply(403, '{"errors":[{"errorCode":"KER-ATH-403"}]}', RID), 'forbidden');
  assert.equal(classifyReply(500, '{}', RID), 'server_error');
  assert.equal(classifyReply(502, 'Bad Gateway', RID), 'server_error');
  assert.equal(classifyReply(404, 'Not Found', RID), 'server_error');
  // The quotes are part of the body: a body that is only the text without quotes still classifies.
  assert.equal(classifyReply(200, `Packet with registrationId '${RID}' has been forwarded to next stage`, RID), 'forwarded');
});

test('the notification body carries the row\'s real process, iteration and source', () => {
  const body = notificationBody({ rid: RID, process: 'UPDATE', workflowInstanceId: 'w', iteration: 3, source: 'RESIDENT' });
  assert.deepEqual(body, { rid: RID, reg_type: 'UPDATE', workflowInstanceId: 'w', iteration: 3, isValid: true, internalError: false, source: 'RESIDENT' });
  const migrated = notificationBody({ rid: RID, process: 'NEW', workflowInstanceId: 'w', iteration: 1, source: null });
  assert.equal('source' in migrated, false);
});

test('tokens: read from Set-Cookie, and the stage reads only the first cookie', () => {
  assert.equal(tokenFromSetCookie('Authorization=abc.def.ghi; Max-Age=6000000; Path=/; HttpOnly'), 'abc.def.ghi');
  assert.equal(tokenFromSetCookie(['other=1; Path=/', 'Authorization=tok; Path=/']), 'tok');
  assert.equal(tokenFromSetCookie(undefined), null);
  assert.equal(tokenFromCookieHeader('Authorization=tok; other=1'), 'tok');
  assert.equal(tokenFromCookieHeader(undefined), '');
});

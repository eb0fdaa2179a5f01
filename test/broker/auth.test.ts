import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { BrokerAccessControl, BrokerAuthSchema, topicMatchesFilter, type BrokerAuth } from '../../src/broker/auth.ts';
import { topicsFor } from '../../src/protocol/topics.ts';

const A = 'OM12404080000000001';
const B = 'OM12404080000000002';
const tA = topicsFor(A);
const tB = topicsFor(B);

const auth: BrokerAuth = {
  users: [
    { username: 'ctl-a', password: 'pw-a', role: 'controller', serials: [A] },
    { username: 'int-a', passwordSha256: createHash('sha256').update('pw-int').digest('hex'), role: 'integrator', serials: [A] },
    { username: 'cert-only', role: 'controller', serials: [B] },
  ],
};

describe('topicMatchesFilter [MQTT-4.7]', () => {
  const cases: [filter: string, topic: string, matches: boolean][] = [
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['#', 'a/b', true],
    ['+/+', 'a/b', true],
    ['#', '$SYS/x', false],
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
    ['a/b/c', 'a/b', false],
  ];
  for (const [filter, topic, matches] of cases) {
    test(`${filter} ${matches ? 'matches' : 'does not match'} ${topic}`, () => assert.equal(topicMatchesFilter(filter, topic), matches));
  }
});

describe('broker accounts and ACL', () => {
  const acl = new BrokerAccessControl(auth);

  test('without accounts everyone is anonymous and may do anything but publish to $ topics', () => {
    const open = new BrokerAccessControl(undefined);
    const r = open.authenticate(undefined, undefined);
    assert.ok(r.ok);
    assert.equal(open.canPublish(r.principal, tB.command), true);
    assert.equal(open.canSubscribe(r.principal, '#'), true);
    assert.equal(open.canReceive(r.principal, tA.feedback), true);
    assert.equal(open.canPublish(r.principal, '$SYS/x'), false);
  });

  test('anonymous connections are refused with "not authorized", bad passwords with "bad username or password"', () => {
    assert.deepEqual(acl.authenticate(undefined, undefined), { ok: false, returnCode: 5, reason: 'anonymous connections are not allowed' });
    assert.equal(acl.authenticate('ctl-a', Buffer.from('wrong')).ok, false);
    assert.equal(acl.authenticate('nobody', Buffer.from('pw-a')).ok, false);
    assert.equal(acl.authenticate('ctl-a', undefined).ok, false);
    const bad = acl.authenticate('ctl-a', Buffer.from('wrong'));
    assert.ok(!bad.ok && bad.returnCode === 4);
  });

  test('clear and SHA-256 passwords both log in; a certificate-only account needs its verified certificate', () => {
    assert.equal(acl.authenticate('ctl-a', Buffer.from('pw-a')).ok, true);
    assert.equal(acl.authenticate('int-a', Buffer.from('pw-int')).ok, true);
    assert.equal(acl.authenticate('cert-only', Buffer.from('')).ok, false);
    assert.equal(acl.authenticate(undefined, undefined, 'cert-only').ok, true);
    assert.equal(acl.authenticate('int-a', undefined, 'cert-only').ok, false, 'a certificate does not log in another username');
  });

  test('a controller publishes feedback and status and reads commands and schedules of its own serial only', () => {
    const r = acl.authenticate('ctl-a', Buffer.from('pw-a'));
    assert.ok(r.ok);
    const p = r.principal;
    assert.equal(acl.canPublish(p, tA.feedback), true);
    assert.equal(acl.canPublish(p, tA.status), true);
    assert.equal(acl.canPublish(p, tA.command), false);
    assert.equal(acl.canPublish(p, tB.feedback), false);
    assert.equal(acl.canSubscribe(p, tA.command), true);
    assert.equal(acl.canSubscribe(p, tA.schedule), true);
    assert.equal(acl.canSubscribe(p, tA.prices), true);
    assert.equal(acl.canPublish(p, tA.prices), false);
    assert.equal(acl.canSubscribe(p, tB.command), false);
    assert.equal(acl.canSubscribe(p, tA.feedback), false);
  });

  test('an integrator commands and reads feedback of the sites it owns only', () => {
    const r = acl.authenticate('int-a', Buffer.from('pw-int'));
    assert.ok(r.ok);
    const p = r.principal;
    assert.equal(acl.canPublish(p, tA.command), true);
    assert.equal(acl.canPublish(p, tA.schedule), true);
    assert.equal(acl.canPublish(p, tA.prices), true);
    assert.equal(acl.canPublish(p, tB.prices), false);
    assert.equal(acl.canPublish(p, tB.command), false);
    assert.equal(acl.canPublish(p, tA.feedback), false);
    assert.equal(acl.canSubscribe(p, tA.feedback), true);
    assert.equal(acl.canSubscribe(p, tA.status), true);
    assert.equal(acl.canSubscribe(p, tB.feedback), false);
  });

  test('a wildcard subscription is granted when it covers an own topic, but only own topics are delivered', () => {
    const r = acl.authenticate('int-a', Buffer.from('pw-int'));
    assert.ok(r.ok);
    assert.equal(acl.canSubscribe(r.principal, 'standard1/outbound/remoteControlMetrics/feedback/+'), true);
    assert.equal(acl.canSubscribe(r.principal, '$SYS/#'), false);
    assert.equal(acl.canReceive(r.principal, tA.feedback), true);
    assert.equal(acl.canReceive(r.principal, tB.feedback), false);
  });

  test('custom topic prefixes move the ACL with them', () => {
    const custom = new BrokerAccessControl(auth, { command: 'acme/cmd', feedback: 'acme/fb', status: undefined });
    const r = custom.authenticate('int-a', Buffer.from('pw-int'));
    assert.ok(r.ok);
    assert.equal(custom.canPublish(r.principal, `acme/cmd/${A}`), true);
    assert.equal(custom.canPublish(r.principal, tA.command), false);
    assert.equal(custom.canSubscribe(r.principal, `gridpilot/status/${A}`), true, 'undefined keeps the default prefix');
  });

  test('the config schema refuses both password forms, duplicate usernames and accounts without serials', () => {
    const user = { username: 'u', role: 'controller', serials: [A] };
    assert.equal(BrokerAuthSchema.safeParse({ users: [{ ...user, password: 'x', passwordSha256: 'a'.repeat(64) }] }).success, false);
    assert.equal(BrokerAuthSchema.safeParse({ users: [user, user] }).success, false);
    assert.equal(BrokerAuthSchema.safeParse({ users: [{ ...user, serials: [] }] }).success, false);
    assert.equal(BrokerAuthSchema.safeParse({ users: [{ ...user, extra: 1 }] }).success, false);
    assert.equal(BrokerAuthSchema.safeParse({ users: [user] }).success, true);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accountsFromAuth, BrokerAccessControl, BrokerAuthSchema, isAnonymousAllowed, topicMatchesFilter, type BrokerAuth } from '../../src/broker/auth.ts';
import { topicsFor } from '../../src/protocol/topics.ts';

const A = 'OM12404080000000001';
const B = 'OM12404080000000002';
const tA = topicsFor(A);
const tB = topicsFor(B);

const auth: BrokerAuth = {
  users: [
    { username: 'ctl-a', password: 'pw-a', role: 'controller', serials: [A] },
    { username: 'int-a', password: 'pw-int', role: 'integrator', serials: [A] },
    { username: 'gp-ctl-b', password: 'pw-b', role: 'controller', serials: [B] },
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
  const acl = new BrokerAccessControl({ accounts: accountsFromAuth(auth), isAnonymousAllowed: false });

  test('without accounts everyone is anonymous and may do anything but publish to $ topics', async () => {
    const open = new BrokerAccessControl();
    const r = await open.authenticate(undefined, undefined);
    assert.ok(r.ok);
    assert.equal(open.canPublish(r.principal, tB.command), true);
    assert.equal(open.canSubscribe(r.principal, '#'), true);
    assert.equal(open.canReceive(r.principal, tA.feedback), true);
    assert.equal(open.canPublish(r.principal, '$SYS/x'), false);
  });

  test('anonymous connections are refused with "not authorized", bad passwords with "bad username or password"', async () => {
    assert.deepEqual(await acl.authenticate(undefined, undefined), { ok: false, returnCode: 5, reason: 'anonymous connections are not allowed' });
    assert.equal((await acl.authenticate('ctl-a', Buffer.from('wrong'))).ok, false);
    assert.equal((await acl.authenticate('nobody', Buffer.from('pw-a'))).ok, false);
    assert.equal((await acl.authenticate('ctl-a', undefined)).ok, false);
    const bad = await acl.authenticate('ctl-a', Buffer.from('wrong'));
    assert.ok(!bad.ok && bad.returnCode === 4);
  });

  test('scrypt-hashed passwords log in; a certificate-only account needs its verified certificate', async () => {
    assert.equal((await acl.authenticate('ctl-a', Buffer.from('pw-a'))).ok, true);
    assert.equal((await acl.authenticate('int-a', Buffer.from('pw-int'))).ok, true);
    assert.equal((await acl.authenticate('cert-only', Buffer.from(''))).ok, false);
    assert.equal((await acl.authenticate(undefined, undefined, undefined, 'cert-only')).ok, true);
    assert.equal((await acl.authenticate('int-a', undefined, undefined, 'cert-only')).ok, false, 'a certificate does not log in another username');
  });

  test('a controller publishes feedback and status and reads commands and schedules of its own serial only', async () => {
    const r = await acl.authenticate('ctl-a', Buffer.from('pw-a'));
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

  test('an integrator commands and reads feedback of the sites it owns only', async () => {
    const r = await acl.authenticate('int-a', Buffer.from('pw-int'));
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

  test('a wildcard subscription is granted when it covers an own topic, but only own topics are delivered', async () => {
    const r = await acl.authenticate('int-a', Buffer.from('pw-int'));
    assert.ok(r.ok);
    assert.equal(acl.canSubscribe(r.principal, 'standard1/outbound/remoteControlMetrics/feedback/+'), true);
    assert.equal(acl.canSubscribe(r.principal, '$SYS/#'), false);
    assert.equal(acl.canReceive(r.principal, tA.feedback), true);
    assert.equal(acl.canReceive(r.principal, tB.feedback), false);
  });

  test('custom topic prefixes move the ACL with them', async () => {
    const custom = new BrokerAccessControl({ accounts: accountsFromAuth(auth), isAnonymousAllowed: false }, { command: 'acme/cmd', feedback: 'acme/fb', status: undefined });
    const r = await custom.authenticate('int-a', Buffer.from('pw-int'));
    assert.ok(r.ok);
    assert.equal(custom.canPublish(r.principal, `acme/cmd/${A}`), true);
    assert.equal(custom.canPublish(r.principal, tA.command), false);
    assert.equal(custom.canSubscribe(r.principal, `gridpilot/status/${A}`), true, 'undefined keeps the default prefix');
  });

  test("no takeover: a controller account's name as client id is refused to every other account and to anonymous clients", async () => {
    const r = await acl.authenticate('int-a', Buffer.from('pw-int'), 'gp-ctl-b');
    assert.ok(!r.ok && r.returnCode === 5, 'an integrator cannot use the controller id');
    assert.equal((await acl.authenticate('ctl-a', Buffer.from('pw-a'), 'gp-ctl-b')).ok, false, 'nor another controller');
    assert.equal((await acl.authenticate('gp-ctl-b', Buffer.from('pw-b'), 'gp-ctl-b')).ok, true, 'its own account can');
    assert.equal((await acl.authenticate('int-a', Buffer.from('pw-int'), 'int-a-backend-1')).ok, true, 'other ids are free');
    const open = new BrokerAccessControl({ accounts: accountsFromAuth(auth), isAnonymousAllowed: true });
    assert.equal((await open.authenticate(undefined, undefined, 'gp-ctl-b')).ok, false, 'anonymous neither, even when anonymous access is on');
  });

  test('update() swaps the accounts: a revoked site is denied from the next packet on', async () => {
    const live = new BrokerAccessControl({ accounts: accountsFromAuth(auth), isAnonymousAllowed: false });
    const r = await live.authenticate('int-a', Buffer.from('pw-int'));
    assert.ok(r.ok);
    assert.equal(live.canPublish(r.principal, tA.command), true);
    live.update({ accounts: accountsFromAuth(auth).map((a) => (a.name === 'int-a' ? { ...a, serials: [B] } : a)), isAnonymousAllowed: false });
    assert.equal(live.canPublish(r.principal, tA.command), false);
  });

  test('anonymous access is on only on loopback and only while no integrator account exists', () => {
    const accounts = accountsFromAuth(auth);
    const controllers = accounts.filter((a) => a.role === 'controller');
    assert.equal(isAnonymousAllowed(controllers, '127.0.0.1'), true);
    assert.equal(isAnonymousAllowed(controllers, '0.0.0.0'), false);
    assert.equal(isAnonymousAllowed(accounts, '127.0.0.1'), false);
    assert.equal(isAnonymousAllowed([], '::1'), true);
  });

  test('the config schema refuses both password forms, duplicate usernames and accounts without serials', async () => {
    const user = { username: 'u', role: 'controller', serials: [A] };
    assert.equal(BrokerAuthSchema.safeParse({ users: [{ ...user, passwordSha256: 'a'.repeat(64) }] }).success, false, 'unsalted SHA-256 is gone');
    assert.equal(BrokerAuthSchema.safeParse({ users: [user, user] }).success, false);
    assert.equal(BrokerAuthSchema.safeParse({ users: [{ ...user, serials: [] }] }).success, false);
    assert.equal(BrokerAuthSchema.safeParse({ users: [{ ...user, extra: 1 }] }).success, false);
    assert.equal(BrokerAuthSchema.safeParse({ users: [user] }).success, true);
  });
});

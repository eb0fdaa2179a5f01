import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { verifyPasswordMosquitto, verifyPasswordScrypt } from '../../src/broker/password-hash.ts';
import { runAddIntegrator, runAddSite, runGrant, runList, runPasswd, runRevoke } from '../../src/cli/commands/broker.ts';
import { runMosquittoConfig } from '../../src/cli/commands/broker-mosquitto-config.ts';
import { memoryIo } from '../../src/cli/io.ts';
import { BrokerAccountsDb, readControllerPassword } from '../../src/store/broker-accounts.ts';
import { tempDirMaker } from '../helpers/temp-dirs.ts';

const tempDir = tempDirMaker('gp-cli-broker-');
const noPrompt = (): Promise<string> => Promise.reject(new Error('no prompt expected'));
const revisionOf = (dataDir: string): number => {
  const db = BrokerAccountsDb.open(dataDir, { readonly: true });
  try {
    return db.revision();
  } finally {
    db.close();
  }
};

describe('gridpilot broker: accounts from the command line', () => {
  it('adds a site and an integrator, grants, revokes, changes a password and lists them', async () => {
    const dataDir = tempDir();
    const io = memoryIo();
    await runAddSite('SITE1', { dataDir, password: 'controller-pw-1' }, io, noPrompt);
    await runAddIntegrator('acme', { dataDir }, io, () => Promise.resolve('prompted-pw-1'));
    await runGrant('acme', 'SITE1', { dataDir }, io);
    await runList({ dataDir, json: true }, io);
    const listed = JSON.parse(io.stdout.at(-1) ?? '') as Array<{ name: string; serials: string[] }>;
    assert.deepEqual(listed.map((a) => [a.name, a.serials]), [['gp-SITE1', ['SITE1']], ['acme', ['SITE1']]]);
    const db = BrokerAccountsDb.open(dataDir, { readonly: true });
    const acme = db.get('acme');
    db.close();
    assert.ok(acme?.passwordScrypt && acme.passwordMosquitto);
    assert.match(acme.passwordScrypt, /^\$scrypt\$ln=14,r=8,p=1\$/, 'parameters recorded with the hash');
    assert.equal(await verifyPasswordScrypt('prompted-pw-1', acme.passwordScrypt), true);
    assert.equal(verifyPasswordMosquitto('prompted-pw-1', acme.passwordMosquitto), true);
    assert.equal(await verifyPasswordScrypt('prompted-pw-2', acme.passwordScrypt), false);
    // The controller's clear password is kept for the controller of this data directory only.
    assert.equal(readControllerPassword(dataDir, 'gp-SITE1'), 'controller-pw-1');
    assert.equal(readControllerPassword(dataDir, 'acme'), null);
    assert.equal(statSync(join(dataDir, 'broker-secrets.json')).mode & 0o777, 0o600);
    assert.ok(!readFileSync(join(dataDir, 'gridpilot.db')).includes('prompted-pw-1'));

    await runPasswd('gp-SITE1', { dataDir, password: 'controller-pw-2' }, io, noPrompt);
    assert.equal(readControllerPassword(dataDir, 'gp-SITE1'), 'controller-pw-2');
    await runRevoke('acme', 'SITE1', { dataDir }, io);
    await runList({ dataDir }, io);
    assert.match(io.stdout.at(-1) ?? '', /integrator\s+acme\s+\(no sites\)\s+password/);
  });

  it('refuses bad input with a clear error and changes nothing', async () => {
    const dataDir = tempDir();
    const io = memoryIo();
    await runAddSite('SITE1', { dataDir, password: 'controller-pw-1' }, io, noPrompt);
    await runAddIntegrator('acme', { dataDir, password: 'integrator-pw' }, io, noPrompt);
    const before = revisionOf(dataDir);
    const cases: Array<[Promise<number>, RegExp]> = [
      [runAddIntegrator('acme2', { dataDir, password: 'short' }, io, noPrompt), /at least 8 characters \(nothing changed\)/],
      [runAddIntegrator('acme', { dataDir, password: 'integrator-pw' }, io, noPrompt), /exists already/],
      [runAddIntegrator('a:b', { dataDir, password: 'integrator-pw' }, io, noPrompt), /account name "a:b"/],
      [runAddSite('S 2', { dataDir, password: 'controller-pw' }, io, noPrompt), /serial "S 2"/],
      [runGrant('acme', 'NOSUCH', { dataDir }, io), /no site NOSUCH on this broker/],
      [runRevoke('acme', 'SITE1', { dataDir }, io), /has no access to site SITE1/],
      [runPasswd('ghost', { dataDir, password: 'whatever-pw' }, io, noPrompt), /no account named ghost/],
      [runPasswd('acme', { dataDir, password: 'bad\u0001password' }, io, noPrompt), /control characters/],
    ];
    for (const [run, message] of cases) await assert.rejects(run, message);
    assert.equal(revisionOf(dataDir), before);
  });

  it('reads the password from one line of stdin when it is not a terminal (the real CLI)', () => {
    const dataDir = tempDir();
    const cli = (args: string[], input: string): ReturnType<typeof spawnSync> =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'broker', ...args, '--data-dir', dataDir], { input, encoding: 'utf8' });
    const r = cli(['add-integrator', 'piped'], 'from-stdin-pw\nignored\n');
    assert.equal(r.status, 0, String(r.stderr));
    const db = BrokerAccountsDb.open(dataDir, { readonly: true });
    const hash = db.get('piped')?.passwordMosquitto ?? '';
    db.close();
    assert.equal(verifyPasswordMosquitto('from-stdin-pw', hash), true);
    const bad = cli(['grant', 'piped', 'NOSUCH'], '');
    assert.equal(bad.status, 1);
    assert.match(String(bad.stderr), /^error: NOSUCH: no site NOSUCH on this broker/m);
  });

  it('mosquitto-config writes mosquitto.conf, password file and ACL (0600), and refuses an empty store', async () => {
    const dataDir = tempDir();
    const out = join(tempDir(), 'mosq');
    const io = memoryIo();
    await runAddSite('SITE1', { dataDir, password: 'controller-pw-1' }, io, noPrompt);
    await assert.rejects(runMosquittoConfig({ out, dataDir: tempDir(), port: 1883, host: '0.0.0.0' }, io), /no gridpilot store|no broker accounts/);
    assert.equal(existsSync(out), false, 'nothing written');
    await runMosquittoConfig({ out, dataDir, port: 18830, host: '0.0.0.0' }, io);
    const conf = readFileSync(join(out, 'mosquitto.conf'), 'utf8');
    assert.match(conf, /^listener 18830 0\.0\.0\.0$/m);
    assert.match(conf, /^allow_anonymous false$/m);
    assert.match(conf, /^use_username_as_clientid true$/m);
    assert.match(readFileSync(join(out, 'passwords'), 'utf8'), /^gp-SITE1:\$7\$1000\$/);
    assert.match(readFileSync(join(out, 'acl'), 'utf8'), /^user gp-SITE1\ntopic write standard1\/outbound\/remoteControlMetrics\/feedback\/SITE1$/m);
    for (const f of ['mosquitto.conf', 'passwords', 'acl']) assert.equal(statSync(join(out, f)).mode & 0o777, 0o600);
  });
});

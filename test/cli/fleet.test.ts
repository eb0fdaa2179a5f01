import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runMosquittoConfig } from '../../src/cli/commands/broker-mosquitto-config.ts';
import { memoryIo } from '../../src/cli/io.ts';
import { topicsFor } from '../../src/protocol/topics.ts';
import { runGeneratedMosquitto } from '../helpers/mosquitto.ts';
import { freePort } from '../helpers/ports.ts';
import { tempDirMaker } from '../helpers/temp-dirs.ts';

// The user's path to a load test on a broker with accounts: `gridpilot broker add-fleet`, then
// `gridpilot broker mosquitto-config`, Debian mosquitto on those files, `gridpilot fleet
// --site-password`, and Debian's mosquitto_pub / mosquitto_sub as the integrator granted the fleet.
const tempDir = tempDirMaker('gp-cli-fleet-');
const cli = (args: string[], input = ''): ReturnType<typeof spawnSync> => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { input, encoding: 'utf8' });

describe('gridpilot fleet on a broker with accounts', () => {
  it('add-fleet, mosquitto-config, fleet: every site logs in as its own account and answers the granted integrator', async () => {
    const dataDir = tempDir();
    const SITES = 20;
    // Two integrator accounts: mosquitto binds client ids to usernames, one session per account.
    for (const name of ['vpp-ops', 'vpp-watch']) assert.equal(cli(['broker', 'add-integrator', name, '--password', `${name}-password`, '--data-dir', dataDir]).status, 0);
    const added = cli(['broker', 'add-fleet', '--sites', String(SITES), '--serial-prefix', 'CLI', '--grant', 'vpp-ops', '--grant', 'vpp-watch', '--password', 'fleet-site-password', '--data-dir', dataDir]);
    assert.equal(added.status, 0, String(added.stderr));
    assert.match(String(added.stdout), /fleet of 20 sites added: CLI000001 … CLI000020, controllers log in as gp-<serial>; granted to vpp-ops, vpp-watch/);
    // Again: every account exists, nothing is added (one transaction).
    const again = cli(['broker', 'add-fleet', '--sites', '30', '--serial-prefix', 'CLI', '--password', 'fleet-site-password', '--data-dir', dataDir]);
    assert.equal(again.status, 1);
    assert.match(String(again.stderr), /account gp-CLI000001 exists already/);
    assert.doesNotMatch(String(cli(['broker', 'list', '--data-dir', dataDir]).stdout), /CLI000021/);

    const out = join(tempDir(), 'mosq');
    const port = await freePort();
    await runMosquittoConfig({ out, dataDir, port, host: '127.0.0.1' }, memoryIo());
    const stopMosquitto = await runGeneratedMosquitto(out);
    const url = `mqtt://127.0.0.1:${port}`;
    const fleet = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'fleet', '--sites', String(SITES), '--serial-prefix', 'CLI', '--broker', url, '--site-password', 'fleet-site-password', '--feedback-interval', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    fleet.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => fleet.once('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        fleet.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          if (/Ctrl-C stops/.test(stdout)) resolve();
        });
        void exited.then((code) => reject(new Error(`gridpilot fleet exited ${String(code)}: ${stdout}${stderr}`)));
      });
      assert.match(stdout, new RegExp(`fleet: ${SITES} sites running \\(CLI000001 … CLI000020\\) on ${url.replace(/\./g, '\\.')}, ${SITES} connected`));
      // The integrator, with Debian's clients: feedback of site 7 only arrives to it.
      const serial = 'CLI000007';
      const t = topicsFor(serial);
      const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-u', 'vpp-watch', '-P', 'vpp-watch-password', '-q', '1', '-t', t.feedback, '-C', '1', '-W', '20'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let feedback = '';
      sub.stdout.on('data', (c: Buffer) => (feedback += c.toString()));
      const subDone = new Promise<number | null>((resolve) => sub.once('exit', (code) => resolve(code)));
      await new Promise((r) => setTimeout(r, 500));
      const timeS = Math.floor(Date.now() / 1000);
      const pub = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-u', 'vpp-ops', '-P', 'vpp-ops-password', '-q', '1', '-t', t.command, '-m', JSON.stringify({ extraTags: { nodeId: `${serial}_site_0` }, time: timeS, fields: {} })], { encoding: 'utf8' });
      assert.equal(pub.status, 0, pub.stderr);
      assert.equal(await subDone, 0, `mosquitto_sub: no feedback of ${serial} within 20 s`);
      const f = JSON.parse(feedback) as { requestTime: number; siteNodeId: string; data: { response_code: number } };
      assert.equal(f.requestTime, timeS);
      assert.equal(f.siteNodeId, `${serial}_site_0`);
      assert.equal(f.data.response_code, 0);
    } finally {
      fleet.kill('SIGINT');
      const code = await exited;
      await stopMosquitto();
      assert.equal(code, 0, stderr);
    }
  });

  it('refuses bad flags with what is wrong', () => {
    const r = cli(['fleet', '--sites', '0']);
    assert.notEqual(r.status, 0);
    assert.match(String(r.stderr), /--sites.*expected a whole number > 0/);
    const bad = cli(['broker', 'add-fleet', '--sites', '10', '--first', '999995', '--password', 'fleet-site-password', '--data-dir', tempDir()]);
    assert.equal(bad.status, 2);
    assert.match(String(bad.stderr), /indexes must stay within 1–999999 \(nothing changed\)/);
  });
});

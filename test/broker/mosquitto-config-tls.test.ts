import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { runMosquittoConfig } from '../../src/cli/commands/broker-mosquitto-config.ts';
import { memoryIo } from '../../src/cli/io.ts';
import { accountsDataDir, PW, tA } from '../helpers/access-matrix.ts';
import { runGeneratedMosquitto } from '../helpers/mosquitto.ts';
import { connectTestClient } from '../helpers/mqtt-client.ts';
import { freePort } from '../helpers/ports.ts';
import { tempDirMaker } from '../helpers/temp-dirs.ts';
import { createTestPki, type TestPki } from '../helpers/tls-certs.ts';

// `gridpilot broker mosquitto-config --tls-port P --cert F --key F [--ca F]`: the production
// mosquitto's TLS listener, run for real (Debian mosquitto 2) with a throw-away CA.
const run = promisify(execFile);
const tempDir = tempDirMaker('gp-mosq-conf-tls-');
let pki: TestPki;
let otherPki: TestPki;
before(() => {
  pki = createTestPki();
  otherPki = createTestPki();
});
after(() => {
  pki.remove();
  otherPki.remove();
});

describe('gridpilot broker mosquitto-config with a TLS listener', () => {
  it('mosquitto serves mqtts with the accounts: the right CA and password work, another CA or a wrong password does not', async () => {
    const dataDir = await accountsDataDir('gp-mosq-tls-accounts-');
    const out = join(tempDir(), 'mosq');
    const [port, tlsPort] = [await freePort(), await freePort()];
    const io = memoryIo();
    await runMosquittoConfig({ out, dataDir, port, host: '127.0.0.1', tlsPort, cert: pki.serverCertFile, key: pki.serverKeyFile, ca: pki.caFile }, io);
    assert.match(io.stdout.join('\n'), new RegExp(`mqtts://127\\.0\\.0\\.1:${tlsPort}`));
    const conf = readFileSync(join(out, 'mosquitto.conf'), 'utf8');
    assert.match(conf, new RegExp(`^listener ${tlsPort} 127\\.0\\.0\\.1\\ncertfile ${pki.serverCertFile}\\nkeyfile ${pki.serverKeyFile}\\ncafile ${pki.caFile}$`, 'm'));
    const stop = await runGeneratedMosquitto(out);
    try {
      const url = `mqtts://127.0.0.1:${tlsPort}`;
      // observer: a controller account of sites A and B, so it receives their commands.
      const observer = await connectTestClient(url, { username: 'observer', password: PW.observer, caFile: pki.caFile });
      await observer.client.subscribeAsync(tA.command, { qos: 1 });
      // Debian's mosquitto_pub over TLS, as the integrator of site A.
      await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(tlsPort), '--cafile', pki.caFile, '-u', 'int-a', '-P', PW.intA, '-q', '1', '-t', tA.command, '-m', '{"via":"tls"}']);
      const got = await observer.waitFor((m) => m.topic === tA.command, 5000, 'the command sent over TLS');
      assert.equal(got.payload.toString(), '{"via":"tls"}');
      await observer.end();
      await assert.rejects(connectTestClient(url, { username: 'int-a', password: PW.intA, caFile: otherPki.caFile, mqtt: { reconnectPeriod: 0 } }), /self[- ]signed|unable to verify|certificate/i);
      await assert.rejects(connectTestClient(url, { username: 'int-a', password: 'wrong', caFile: pki.caFile, mqtt: { reconnectPeriod: 0 } }), /not authori[sz]ed|bad user name or password/i);
      await assert.rejects(run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(tlsPort), '--cafile', otherPki.caFile, '-u', 'int-a', '-P', PW.intA, '-t', tA.command, '-m', 'x']));
    } finally {
      await stop();
    }
  });

  it('refuses incomplete or wrong TLS files with what is wrong, and writes nothing', async () => {
    const dataDir = await accountsDataDir('gp-mosq-tls-bad-');
    const out = join(tempDir(), 'mosq');
    const base = { out, dataDir, port: 18831, host: '127.0.0.1' };
    await assert.rejects(runMosquittoConfig({ ...base, cert: pki.serverCertFile }, memoryIo()), /needs both --cert FILE and --key FILE \(nothing written\)/);
    await assert.rejects(runMosquittoConfig({ ...base, cert: pki.serverCertFile, key: otherPki.serverKeyFile }, memoryIo()), /is not the private key of the certificate .*\(nothing written\)/);
    await assert.rejects(runMosquittoConfig({ ...base, cert: join(out, 'nope.crt'), key: pki.serverKeyFile }, memoryIo()), /cannot read the certificate file .*no such file/);
    await assert.rejects(runMosquittoConfig({ ...base, cert: pki.serverCertFile, key: pki.serverKeyFile, tlsPort: 18831 }, memoryIo()), /--tls-port 18831 is also --port/);
    assert.equal(existsSync(out), false, 'nothing written');
  });
});

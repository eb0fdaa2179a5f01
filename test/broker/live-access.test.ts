import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startApp, type RunningApp } from '../../src/app.ts';
import { demoSiteConfig } from '../../src/site/demo-site.ts';
import { connectTestClient, type TestClient } from '../helpers/mqtt-client.ts';
import { tempDirMaker } from '../helpers/temp-dirs.ts';
import { until } from '../helpers/until.ts';

// `gridpilot start` with a data directory: its broker enforces the store's accounts, and account
// changes made by the CLI in another process apply to the running broker without a restart.

const tempDir = tempDirMaker('gp-live-access-');

/** The real CLI, as a separate process on the same data directory. */
function cli(dataDir: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'broker', ...args, '--data-dir', dataDir], { encoding: 'utf8' });
  assert.equal(r.status, 0, `gridpilot broker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function startOn(engine: 'mosquitto' | 'aedes'): Promise<{ app: RunningApp; dataDir: string }> {
  const dataDir = tempDir();
  const cfg = demoSiteConfig() as Record<string, unknown>;
  cfg.mqtt = { embedded: { engine, port: 0, wsPort: null } };
  const configPath = join(dataDir, 'site.json');
  writeFileSync(configPath, JSON.stringify(cfg));
  const app = await startApp({ configPath, dataDir, httpPort: null, logLevel: (process.env['GP_TEST_LOG'] ?? 'silent') as 'silent', brokerPort: 0, wsPort: null });
  return { app, dataDir };
}

/** Sends the contract's empty-fields command and waits for its feedback. */
async function commandAnswered(app: RunningApp, integrator: TestClient, time: number): Promise<void> {
  await integrator.client.publishAsync(app.info.topics.command, JSON.stringify({ extraTags: { nodeId: app.info.siteNodeId }, time, fields: {} }), { qos: 1 });
  await integrator.waitFor((m) => m.topic === app.info.topics.feedback && (m.json as { requestTime?: unknown }).requestTime === time, 8000, 'feedback');
}

for (const engine of ['mosquitto', 'aedes'] as const) {
  const version = engine === 'mosquitto' ? 5 : 4;
  describe(`accounts applied to the running broker (${engine})`, () => {
    it('starts open on loopback; the first integrator closes it; grant and revoke apply live; the controller keeps its client id', async () => {
      const { app, dataDir } = await startOn(engine);
      const clients: TestClient[] = [];
      const connect = async (opts: Parameters<typeof connectTestClient>[1]): Promise<TestClient> => {
        const c = await connectTestClient(app.info.brokerUrl, opts);
        clients.push(c);
        return c;
      };
      try {
        assert.equal(app.info.localBroker?.isAnonymousAllowed, true, 'loopback and no integrator: open (the banner says so)');
        assert.match(cli(dataDir, 'list'), /controller\s+gp-OM12404080000000000/, 'its own controller account was created at start');
        const anonymous = await connect({ protocolVersion: version });
        await anonymous.client.subscribeAsync(app.info.topics.feedback, { qos: 1 });
        await commandAnswered(app, anonymous, Math.floor(app.clock.now() / 1000));
        await anonymous.end();

        cli(dataDir, 'add-integrator', 'acme', '--password', 'acme-password-1');
        cli(dataDir, 'grant', 'acme', app.info.serial);
        // Noticed by polling the accounts revision (~1 s); anonymous access is now off.
        await until(
          () =>
            connectTestClient(app.info.brokerUrl, { protocolVersion: version }).then(
              async (c) => {
                await c.end();
                return false;
              },
              // A CONNACK refusal, not a broker restarting (mosquitto restarts once for the closed mode).
              (err: Error & { code?: unknown }) => typeof err.code === 'number',
            ),
          'anonymous refused',
          10_000,
        );
        await assert.rejects(connectTestClient(app.info.brokerUrl, { protocolVersion: version, username: 'acme', password: 'wrong-password' }));
        const acme = await connect({ protocolVersion: version, username: 'acme', password: 'acme-password-1' });
        await acme.client.subscribeAsync(app.info.topics.feedback, { qos: 1 });
        await until(() => app.link.isConnected(), 'the controller is connected with its own account', 10_000);
        await commandAnswered(app, acme, Math.floor(app.clock.now() / 1000) + 1);

        // No takeover: another account connecting with the controller's client id.
        const takeover = connectTestClient(app.info.brokerUrl, { protocolVersion: version, username: 'acme', password: 'acme-password-1', clientId: 'gp-OM12404080000000000' });
        let integrator = acme;
        if (engine === 'aedes') {
          await assert.rejects(takeover, 'refused: the id belongs to the controller account');
        } else {
          // mosquitto: accepted with its username as client id (use_username_as_clientid), so it
          // replaces acme's own first session, never the controller's.
          integrator = await takeover;
          clients.push(integrator);
          await acme.waitForClose();
          await integrator.client.subscribeAsync(app.info.topics.feedback, { qos: 1 });
        }
        await commandAnswered(app, integrator, Math.floor(app.clock.now() / 1000) + 2);
        assert.equal(app.link.isConnected(), true, "the controller's session was not dropped");

        // Revoked: the next command is denied (MQTT 5 PUBACK 0x87 / 3.1.1 connection closed).
        cli(dataDir, 'revoke', 'acme', app.info.serial);
        let isDenied = false;
        await until(async () => {
          if (engine === 'aedes') {
            // 3.1.1 on aedes: the connection is closed [MQTT-3.3.5-2].
            if (!integrator.client.connected) return true;
            integrator.client.publish(app.info.topics.command, '{}', { qos: 0 });
            return false;
          }
          isDenied = await integrator.client.publishAsync(app.info.topics.command, '{}', { qos: 1 }).then(
            () => false,
            (err: Error & { code?: unknown }) => err.code === 0x87,
          );
          return isDenied;
        }, 'the revoked site is denied', 10_000);
        assert.ok(engine === 'aedes' || isDenied);
      } finally {
        for (const c of clients) await c.end();
        await app.stop();
      }
    });
  });
}

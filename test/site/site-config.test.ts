import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { demoSiteConfig } from '../../src/site/demo-site.ts';
import { hardExportLimitW, hardImportLimitW, loadSiteConfigFile, resolveSiteConfig } from '../../src/site/site-config.ts';
import { configProblems } from '../helpers/config-problems.ts';

const problems = configProblems;

describe('site configuration', () => {
  it('fills defaults and device nodeIds', () => {
    const site = resolveSiteConfig(demoSiteConfig());
    assert.equal(site.siteNodeId, 'OM12404080000000000_site_0');
    assert.deepEqual(site.devices.filter((d) => d.group === 'storage').map((d) => d.nodeId), ['OM12404080000000000_storage_0', 'OM12404080000000000_storage_1']);
    assert.equal(site.remoteSignal.fallbackTimeoutS, 60);
    assert.equal(site.defaults.storage, 'self_consumption');
    assert.equal(hardImportLimitW(site), Math.min(25_000, 40 * 230 * 3));
    assert.equal(hardExportLimitW(site), 20_000);
    assert.deepEqual(site.history, { minuteDays: 90, quarterDays: 730, commandLogDays: 90, commandLogMaxEntries: 500_000 });
  });

  const bad: Array<[string, (c: Record<string, unknown>) => void, RegExp]> = [
    ['an unknown key', (c) => (c.colour = 'blue'), /\(root\).*colour|Unrecognized key.*colour/],
    ['an unknown device key', (c) => ((c.devices as Array<Record<string, unknown>>)[0]!.wattage = 5), /devices\[0\]/],
    ['a negative rating', (c) => ((c.devices as Array<Record<string, unknown>>)[1]!.maxChargeW = -5), /devices\[1\]\.maxChargeW/],
    ['min SoC above max SoC', (c) => Object.assign((c.devices as Array<Record<string, unknown>>)[1]!, { minSocPct: 90, maxSocPct: 80 }), /devices\[1\].*minSocPct/],
    ['a duplicated nodeId', (c) => ((c.devices as Array<Record<string, unknown>>)[2]!.nodeId = 'OM12404080000000000_storage_0'), /used twice/],
    ['an unknown included device', (c) => (c.remoteSignal = { includedDevices: ['nope'] }), /includedDevices\[0\].*"nope"/],
    ['a policy of another component as default', (c) => (c.defaults = { storage: 'feed_in_limitation' }), /defaults\.storage/],
    ['setpoint as a default', (c) => (c.defaults = { solar: 'setpoint' }), /defaults\.solar.*setpoint/],
    ['an unknown group', (c) => (c.devices as unknown[]).push({ group: 'windmill' }), /devices\[6\]/],
    ['a fallback timeout of zero', (c) => (c.remoteSignal = { fallbackTimeoutS: 0 }), /remoteSignal\.fallbackTimeoutS/],
    ['a serial with a slash', (c) => (c.serial = 'a/b'), /serial/],
    ['a history kept zero days', (c) => (c.history = { minuteDays: 0 }), /history\.minuteDays/],
    ['a history of half days', (c) => (c.history = { commandLogDays: 1.5 }), /history\.commandLogDays/],
    ['EV min current above max', (c) => Object.assign((c.devices as Array<Record<string, unknown>>)[5]!, { minCurrentA: 20, maxCurrentA: 16 }), /minCurrentA/],
  ];
  for (const [name, mutate, pattern] of bad) {
    it(`refuses ${name}, naming where`, () => {
      const cfg = structuredClone(demoSiteConfig()) as Record<string, unknown>;
      mutate(cfg);
      const msg = problems(cfg);
      assert.match(msg, /^site\.yaml: invalid site configuration/);
      assert.match(msg, pattern);
    });
  }

  it('reads YAML and JSON files and names the file in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gp-site-'));
    const yamlPath = join(dir, 'site.yaml');
    writeFileSync(yamlPath, 'serial: ABC123\ndevices:\n  - { group: solar, ratedPowerW: 4000 }\n');
    assert.equal(loadSiteConfigFile(yamlPath).devices[0]?.nodeId, 'ABC123_solar_0');
    const badPath = join(dir, 'bad.yaml');
    writeFileSync(badPath, 'serial: [unclosed\n');
    assert.throws(() => loadSiteConfigFile(badPath), (e: Error) => e.message.startsWith(`${badPath}: not valid YAML/JSON`));
    assert.throws(() => loadSiteConfigFile(join(dir, 'missing.yaml')), /cannot read config file/);
  });
});

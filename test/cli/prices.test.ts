import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { priceSlotsFromFile, runPricesSend, type PricesSendFlags } from '../../src/cli/commands/prices.ts';
import { memoryIo, UsageError } from '../../src/cli/io.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { BUNDLED_PRICES_CSV_URL } from '../../src/optimizer/prices/price-file.ts';
import { DEMO_SERIAL } from '../../src/site/demo-site.ts';
import { startAppUnderTest, type AppUnderTest } from '../helpers/app-harness.ts';
import { tempDir, until, writeDemoConfig } from '../helpers/schedule-peer.ts';

const BUNDLED = BUNDLED_PRICES_CSV_URL.pathname;
const T0 = Date.UTC(2024, 10, 5, 8, 0, 0); // inside the bundled prices

describe('gridpilot prices send', () => {
  const dir = tempDir('gp-cli-prices-');
  let t: AppUnderTest;
  let flags: PricesSendFlags;

  before(async () => {
    const configPath = writeDemoConfig(dir.path, { optimizer: { prices: 'pushed' } });
    t = await startAppUnderTest({ clock: new FakeClock(T0), configPath });
    flags = { broker: t.app.info.brokerUrl, serial: DEMO_SERIAL, mqttVersion: 4, timeout: 5, hours: 24 };
  });
  after(async () => {
    await t.stop();
    dir.remove();
  });

  it('takes the file\'s slots from --from for --hours, and refuses a span the file does not cover', () => {
    const slots = priceSlotsFromFile(BUNDLED, { from: '2024-11-05T08:07:00Z', hours: 2 }, T0);
    assert.equal(slots[0]?.start, Date.UTC(2024, 10, 5, 8, 0) / 1000, 'from the slot containing --from');
    assert.equal(slots[slots.length - 1]?.end, Date.UTC(2024, 10, 5, 10, 0) / 1000);
    assert.throws(() => priceSlotsFromFile(BUNDLED, { from: '2031-01-01T00:00:00Z', hours: 2 }, T0), /covers 2023-12-31T23:00:00.000Z … 2025-10-21T22:00:00.000Z, nothing from 2031/);
    assert.throws(() => priceSlotsFromFile(BUNDLED, { hours: 200 }, T0), UsageError);
    const bad = join(dir.path, 'bad.csv');
    writeFileSync(bad, 'datetime_utc,date,hour,minute,price_eur_mwh\n2024-01-01 00:00:00,2024-01-01,0,0,abc\n');
    assert.throws(() => priceSlotsFromFile(bad, { hours: 2 }, T0), /bad\.csv:2: price_eur_mwh is not a number/);
  });

  it('sends them over MQTT; the controller stores them (code 0) and plans with them', async () => {
    const io = memoryIo();
    assert.equal(await runPricesSend(BUNDLED, { ...flags, from: new Date(T0).toISOString() }, io, T0), 0, io.stderr.join('\n'));
    assert.match(io.stderr.join('\n'), /gridpilot\/prices\/OM12404080000000000: 96 slots 2024-11-05T08:00:00.000Z … 2024-11-06T08:00:00.000Z/);
    assert.match(io.stdout.join('\n'), /response_code 0/);
    await until(() => t.app.cost.service.explanation().plan !== null, 'a plan from the pushed prices', 15_000);
    assert.equal(t.app.cost.service.explanation().plan?.slots.length, 96);
  });
});

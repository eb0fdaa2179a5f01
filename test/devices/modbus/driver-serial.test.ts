import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FakeClock } from '../../../src/core/clock.ts';
import type { EvCharger, Switchable } from '../../../src/devices/capabilities.ts';
import { encodeRaw } from '../../../src/devices/drivers/modbus/codec.ts';
import { modbusDriver, type ModbusMeter } from '../../../src/devices/drivers/modbus/index.ts';
import { resolveSiteConfig } from '../../../src/site/site-config.ts';
import { exampleSite, startExampleDevices, testContext, within, type ExampleDevices } from './context.ts';
import { TestModbusServer, until } from './serial-server.ts';

/** The example meter's image (examples/modbus/example-meter.yaml), written with the driver's codec. */
function loadMeterImage(s: TestModbusServer, powerW: number): void {
  const put = (m: Map<number, number>, at: number, words: number[]) => words.forEach((w, i) => m.set(at + i, w));
  put(s.holding, 0, encodeRaw(powerW, 'int32', 'big'));
  put(s.holding, 2, encodeRaw(1_234_567, 'uint32', 'little'));
  put(s.holding, 4, encodeRaw(23_456, 'uint32', 'little'));
  put(s.input, 0, [...encodeRaw(512, 'int16'), ...encodeRaw(-50, 'int16'), ...encodeRaw(700, 'int16')]);
  put(s.input, 10, [...encodeRaw(230.5, 'float32'), ...encodeRaw(231, 'float32'), ...encodeRaw(229.25, 'float32')]);
}

describe('modbus driver against a modbus-serial ServerTCP', () => {
  let server: TestModbusServer;
  let ctx: ExampleDevices['ctx'];
  let meter: ModbusMeter;
  let relay: Switchable;
  let ev: EvCharger;

  before(async () => {
    server = await TestModbusServer.start();
    ({ ctx, meter, relay, ev } = await startExampleDevices(server.port));
  });
  after(async () => {
    await ctx.closeShared();
    await server.stop();
  });
  beforeEach(() => {
    server.mode = { kind: 'ok' };
    server.requests.length = 0;
    loadMeterImage(server, -1234);
  });

  it('reads the grid power in one request, and every meter value in one request per contiguous range', async () => {
    assert.equal(await meter.readPowerW(within()), -1234);
    assert.deepEqual(server.requests.map((r) => [r.table, r.address, r.count]), [['holding', 0, 2]]);
    server.requests.length = 0;
    const m = await meter.readMeasurements(within());
    assert.equal(m.powerW, -1234);
    assert.equal(m.energyImportWh, 123_456_700);
    assert.equal(m.energyExportWh, 2_345_600);
    assert.deepEqual(m.currentsA?.map((a) => Math.round(a * 100) / 100), [5.12, -0.5, 7]);
    assert.deepEqual(m.voltageV, [230.5, 231, 229.25]);
    assert.deepEqual(server.requests.map((r) => [r.table, r.address, r.count]), [['holding', 0, 6], ['input', 0, 3], ['input', 10, 6]]);
  });

  it('switches the relay by its coil, reads it back, and does not rewrite an unchanged state', async () => {
    server.holding.set(0, 20_000); // unit 2's power register (the test server answers every unit from one image)
    await relay.setOn(true);
    assert.equal(server.coils.get(0), true);
    assert.deepEqual(await relay.readState(within()), { isOn: true, powerW: 2000 });
    await relay.setOn(true);
    assert.equal(server.seen('coil', 'write').length, 1);
    await relay.setOn(false);
    assert.equal(server.coils.get(0), false);
    assert.equal(server.seen('coil', 'write').length, 2);
  });

  it('drives the EV charger: a current is written in 0.1 A, 0 pauses with enable off, null writes the maximum', async () => {
    server.holding.set(0, 2); // status: charging
    await ev.setCurrentA(10, 3);
    assert.equal(server.holding.get(10), 100);
    assert.equal(server.coils.get(0), true);
    await ev.setCurrentA(0, 3);
    assert.equal(server.coils.get(0), false, 'pause: enable → enable off');
    assert.equal(server.holding.get(10), 100, 'the setpoint is kept while paused');
    await ev.setCurrentA(null, 3);
    assert.equal(server.holding.get(10), 160, 'uncontrolled: maxCurrentA 16 A');
    assert.equal(server.coils.get(0), true);
    server.holding.set(1, 158);
    server.holding.set(2, 160);
    server.holding.set(3, 159);
    const s = await ev.readState(within());
    assert.equal(s.isConnected, true);
    assert.equal(s.isRequiringCharge, true);
    assert.deepEqual(s.currentsA, [15.8, 16, 15.9]);
    assert.equal(Math.round(s.powerW), Math.round((15.8 + 16 + 15.9) * 230));
    assert.equal(s.offeredCurrentA, null);
    server.holding.set(0, 1); // plugged, not charging though offered current: the car is full
    assert.equal((await ev.readState(within())).isRequiringCharge, false);
    server.holding.set(0, 0);
    assert.equal((await ev.readState(within())).isConnected, false);
  });

  it('a Modbus exception rejects with host:port, unit, registers and meaning', async () => {
    server.mode = { kind: 'exception', code: 2 };
    await assert.rejects(meter.readPowerW(within()), (err: Error) => {
      assert.match(err.message, new RegExp(`^modbus 127\\.0\\.0\\.1:${server.port} unit 1: read holding 0–1 \\(powerW\\): Modbus exception 2`));
      return true;
    });
    server.mode = { kind: 'ok' };
    assert.equal(await meter.readPowerW(within()), -1234);
  });

  it('a device that never answers makes the read reject after the timeout, and the next read works', async () => {
    server.mode = { kind: 'silent' };
    await assert.rejects(relay.readState(within()), /unit 2: read holding 0 \(powerW\): no answer within 300 ms/);
    server.mode = { kind: 'ok' };
    assert.equal(typeof (await relay.readState(within())).isOn, 'boolean');
  });

  it('an aborted read rejects at once', async () => {
    server.mode = { kind: 'silent' };
    const ac = new AbortController();
    const p = meter.readPowerW(ac.signal);
    ac.abort();
    await assert.rejects(p, /unit 1: read holding 0–1 \(powerW\): aborted/);
    server.mode = { kind: 'ok' };
  });

  it('three devices behind one gateway share one connection, each request with its own unit id', async () => {
    await Promise.all([meter.readPowerW(within()), relay.readState(within()), ev.readState(within())]);
    assert.equal(ctx.shared_.size, 1);
    assert.deepEqual([...ctx.shared_.keys()], [`modbus-tcp:127.0.0.1:${server.port}`]);
    assert.equal(server.peakSockets, 1);
    assert.deepEqual([...new Set(server.requests.map((r) => r.unitId))].sort(), [1, 2, 3]);
  });

  it('when the server dies, reads reject promptly; when it is back, they recover by themselves', async () => {
    assert.equal(await meter.readPowerW(within()), -1234);
    await server.stop();
    await assert.rejects(meter.readPowerW(within()), /modbus 127\.0\.0\.1:\d+ unit 1: read holding 0–1 \(powerW\): (not connected|connection closed)/);
    await server.listen();
    await until(async () => (await meter.readPowerW(within())) === -1234, 'the meter to read again');
  });
});

describe('modbus driver: unit ids, dead hosts and the watchdog', () => {
  it('a wrong unit id (the server ignores it) rejects with a timeout naming the unit', async () => {
    const server = await TestModbusServer.start(7);
    const ctx = testContext(exampleSite(server.port));
    const meter = modbusDriver.createMeter?.(ctx.site.grid.meter.driver, ctx) as ModbusMeter;
    await ctx.startShared();
    try {
      await assert.rejects(meter.readPowerW(within()), /unit 1: read holding 0–1 \(powerW\): no answer within 300 ms \(device off, wrong unit id, or busy\)/);
    } finally {
      await ctx.closeShared();
      await server.stop();
    }
  });

  it('start() does not throw for an unreachable device; reads reject with why', async () => {
    const server = await TestModbusServer.start();
    const port = server.port;
    await server.stop(); // nothing listens there now
    const ctx = testContext(exampleSite(port));
    const meter = modbusDriver.createMeter?.(ctx.site.grid.meter.driver, ctx) as ModbusMeter;
    await ctx.startShared();
    try {
      await assert.rejects(meter.readPowerW(within()), /not connected \(.*ECONNREFUSED.*\); reconnecting/);
    } finally {
      await ctx.closeShared();
    }
  });

  it('with watchdogS the last setpoint is rewritten every watchdogS / 2; without a change nothing else is written', async () => {
    const server = await TestModbusServer.start();
    const site = exampleSite(server.port);
    const clock = new FakeClock();
    const ctx = { ...testContext(site), clock };
    const evCfg = site.devices[1];
    assert.ok(evCfg);
    const ev = modbusDriver.createDevice(evCfg, ctx) as EvCharger & { close(): Promise<void> };
    try {
      await ev.setCurrentA(8, 3);
      await ev.setCurrentA(8, 3);
      const writes = () => server.seen('holding', 'write').length;
      assert.equal(writes(), 1);
      clock.advance(29_000);
      assert.equal(writes(), 1);
      clock.advance(1000); // 30 s = watchdogS 60 / 2
      await until(() => writes() === 2, 'the watchdog refresh');
      assert.equal(server.holding.get(10), 80);
      // The server has seen the refresh; a read on the same connection is answered after it, so by
      // then the refresh has settled on our side too (a tick that finds one still writing skips).
      await ev.readState(AbortSignal.timeout(5000));
      clock.advance(30_000);
      await until(() => writes() === 3, 'the second refresh');
    } finally {
      await ev.close();
      for (const s of ctx.shared_.values()) await s.close();
      await server.stop();
    }
  });

  it('a map of the wrong kind for the group is refused at config load, with its path', () => {
    const input = {
      serial: 'T2',
      grid: { importLimitW: 1, exportLimitW: 1, meter: { driver: { type: 'modbus', host: 'h', mapFile: 'examples/modbus/example-meter.yaml' } } },
      devices: [{ group: 'heat_pump', ratedPowerW: 2000, driver: { type: 'modbus', host: 'h', mapFile: 'examples/modbus/example-meter.yaml' } }],
    };
    assert.throws(() => resolveSiteConfig(input), /devices\[0\]\.driver\.map\.kind: a heat_pump device needs a map of kind "switch", this one is "meter"/);
  });
});

import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { FakeClock } from '../../../src/core/clock.ts';
import { silentLogger } from '../../../src/core/logger.ts';
import type { GridMeter } from '../../../src/devices/capabilities.ts';
import { SunSpecSession } from '../../../src/devices/drivers/sunspec/sunspec-session.ts';
import { SimGridMeter } from '../../../src/devices/simulated/sim-grid-meter.ts';
import { SimWorld } from '../../../src/devices/simulated/sim-world.ts';
import { startSunSpecServer } from '../../../src/devices/simulators/sunspec-server.ts';
import { freePort } from '../../helpers/ports.ts';
import { driverContext, meterDriver, signal, sunspecDriver, until } from './sunspec-test-kit.ts';

function simMeter(clock: FakeClock): SimGridMeter {
  const w = new SimWorld(clock, { weather: 'clear-sky' });
  w.setBaseLoadOverride(500);
  return new SimGridMeter(w, { solar: [], storage: [], loads: [] });
}

test('a Modbus exception (unmapped address) rejects with its code and where', async () => {
  const clock = new FakeClock();
  const server = await startSunSpecServer({ port: 0, model: 'meter', device: simMeter(clock), clock });
  const session = new SunSpecSession({ host: '127.0.0.1', port: server.port, unitId: 1, timeoutMs: 1000, clock, logger: silentLogger });
  try {
    await session.start();
    await assert.rejects(session.link.readHoldingRegisters(30000, 2, signal()), (err: Error) => {
      assert.match(err.message, new RegExp(`^127\\.0\\.0\\.1:${server.port} unit 1: read 30000\\+2: Modbus exception 2`));
      return true;
    });
    await assert.rejects(session.link.writeRegisters(40002, [7]), /Modbus exception 2/, 'the header is read-only');
    // The connection survives an exception.
    assert.deepEqual(await session.link.readHoldingRegisters(40000, 2, signal()), [0x5375, 0x6e53]);
  } finally {
    await session.close();
    await server.close();
  }
});

test('a server that never answers: the read rejects after timeoutMs, naming host:port and unit', async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => sockets.add(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as net.AddressInfo).port;
  const ctx = driverContext(new FakeClock());
  const meter = sunspecDriver.createMeter!(meterDriver({ port, timeoutMs: 200 }), ctx) as GridMeter;
  try {
    await ctx.startShared();
    await assert.rejects(meter.readPowerW(signal()), new RegExp(`127\\.0\\.0\\.1:${port} unit 1: read 40000\\+2: no response \\(timed out`));
  } finally {
    await ctx.closeShared();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

test('a wrong unit id gets no answer: rejects as a timeout', async () => {
  const clock = new FakeClock();
  const server = await startSunSpecServer({ port: 0, model: 'meter', device: simMeter(clock), clock, unitId: 7 });
  const ctx = driverContext(clock);
  const meter = sunspecDriver.createMeter!(meterDriver({ port: server.port, unitId: 1, timeoutMs: 200 }), ctx) as GridMeter;
  const right = sunspecDriver.createMeter!(meterDriver({ port: server.port, unitId: 7, timeoutMs: 1000 }), ctx) as GridMeter;
  try {
    await ctx.startShared();
    await assert.rejects(meter.readPowerW(signal()), /unit 1: read 40000\+2: no response \(timed out; wrong unit id/);
    assert.equal(await right.readPowerW(signal()), 500);
  } finally {
    await ctx.closeShared();
    await server.close();
  }
});

test('an aborted read rejects at once', async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => sockets.add(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as net.AddressInfo).port;
  const ctx = driverContext(new FakeClock());
  const meter = sunspecDriver.createMeter!(meterDriver({ port, timeoutMs: 30_000 }), ctx) as GridMeter;
  try {
    await ctx.startShared();
    const ac = new AbortController();
    const reading = meter.readPowerW(ac.signal);
    ac.abort(new Error('cycle deadline'));
    await assert.rejects(reading, /cycle deadline/);
  } finally {
    await ctx.closeShared();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

test('nobody listening: start() does not throw, reads reject, and succeed by themselves once the device is up', async () => {
  const clock = new FakeClock();
  const port = await freePort();
  const ctx = driverContext(clock);
  const meter = sunspecDriver.createMeter!(meterDriver({ port, timeoutMs: 500 }), ctx) as GridMeter;
  try {
    await ctx.startShared();
    await assert.rejects(meter.readPowerW(signal()), /not connected \(.*ECONNREFUSED/);
    const server = await startSunSpecServer({ port, model: 'meter', device: simMeter(clock), clock });
    try {
      await until(async () => (await meter.readPowerW(signal()).catch(() => null)) === 500, 'reads once the server is up');
    } finally {
      await server.close();
    }
  } finally {
    await ctx.closeShared();
  }
});

test('the server dies mid-read: the pending read rejects promptly (before timeoutMs), and reads recover when it returns', async () => {
  const clock = new FakeClock();
  // A device that takes long to answer, so the server can be killed while a read is in flight.
  let hold = false;
  let isHeld = false;
  const slowMeter: GridMeter = {
    readPowerW: () => {
      if (!hold) return Promise.resolve(42);
      isHeld = true;
      return new Promise<number>(() => undefined); // never answers
    },
  };
  const server = await startSunSpecServer({ port: 0, model: 'meter', device: slowMeter, clock });
  const ctx = driverContext(clock);
  // timeoutMs 30 s: a rejection before the test's own 5 s bound shows it came from the socket close.
  const meter = sunspecDriver.createMeter!(meterDriver({ port: server.port, timeoutMs: 30_000 }), ctx) as GridMeter;
  try {
    await ctx.startShared();
    assert.equal(await meter.readPowerW(signal()), 42);
    hold = true;
    const pending = meter.readPowerW(signal());
    await until(() => isHeld, 'the read reached the device');
    await server.close();
    await assert.rejects(pending, /127\.0\.0\.1:\d+ unit 1: read \d+\+\d+: connection lost/);
    await assert.rejects(meter.readPowerW(signal()), /not connected/);
    const back = await startSunSpecServer({ port: server.port, model: 'meter', device: { readPowerW: () => Promise.resolve(-300) }, clock });
    try {
      await until(async () => (await meter.readPowerW(signal()).catch(() => null)) === -300, 'reads again by themselves');
    } finally {
      await back.close();
    }
  } finally {
    await ctx.closeShared();
  }
});

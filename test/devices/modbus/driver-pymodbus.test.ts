import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import type { EvCharger, Switchable } from '../../../src/devices/capabilities.ts';
import { modbusDriver, type ModbusMeter } from '../../../src/devices/drivers/modbus/index.ts';
import { freePort } from '../../helpers/ports.ts';
import { exampleSite, startExampleDevices, within, type ExampleDevices } from './context.ts';
import { until } from './serial-server.ts';

const FIXTURE = 'test/devices/modbus/fixtures/pymodbus-gateway.py';

/** Debian's pymodbus 3.0 gateway fixture as a child process, with its stdin/stdout control channel. */
class PyGateway {
  private lines: string[] = [];
  private waiters: Array<(line: string) => void> = [];
  private rl: Interface;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly port: number,
  ) {
    this.rl = createInterface({ input: child.stdout });
    this.rl.on('line', (line) => {
      const w = this.waiters.shift();
      if (w) w(line);
      else this.lines.push(line);
    });
  }

  static async start(port: number): Promise<PyGateway> {
    const child = spawn('/usr/bin/python3', [FIXTURE, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const first = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout });
      rl.once('line', (line) => {
        rl.close();
        resolve(line);
      });
      child.once('exit', (code) => reject(new Error(`pymodbus fixture exited (${code}): ${stderr}`)));
    });
    const m = /^PORT (\d+)$/.exec(first);
    if (!m) throw new Error(`pymodbus fixture said ${first}`);
    return new PyGateway(child, Number(m[1]));
  }

  private next(): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** A register or bit as the Python side holds it. */
  async get(unit: number, table: 'holding' | 'input' | 'coil' | 'discrete', address: number): Promise<number> {
    this.child.stdin.write(`get ${unit} ${table} ${address}\n`);
    const line = await this.next();
    const m = /^value (-?\d+)$/.exec(line);
    if (!m) throw new Error(`pymodbus fixture: ${line}`);
    return Number(m[1]);
  }

  async set(unit: number, table: 'holding' | 'input' | 'coil' | 'discrete', address: number, value: number): Promise<void> {
    this.child.stdin.write(`set ${unit} ${table} ${address} ${value}\n`);
    assert.equal(await this.next(), 'ok');
  }

  /** SIGKILL: the device vanishes without closing anything. */
  async kill(): Promise<void> {
    this.rl.close();
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

describe('modbus driver against an independent peer: pymodbus 3.0 (Debian)', () => {
  let py: PyGateway;
  let ctx: ExampleDevices['ctx'];
  let meter: ModbusMeter;
  let relay: Switchable;
  let ev: EvCharger;

  before(async () => {
    // A fixed port (not 0) so the killed gateway can come back where the driver looks for it.
    py = await PyGateway.start(await freePort());
    ({ ctx, meter, relay, ev } = await startExampleDevices(py.port));
  });
  after(async () => {
    await ctx.closeShared();
    await py.kill();
  });

  it('decodes the meter image pymodbus encoded: int32 high word first, uint32 low word first, int16 with scale, float32, a negative power', async () => {
    assert.equal(await meter.readPowerW(within()), -1234);
    const m = await meter.readMeasurements(within());
    assert.equal(m.energyImportWh, 123_456_700);
    assert.equal(m.energyExportWh, 2_345_600);
    assert.deepEqual(m.currentsA?.map((a) => Math.round(a * 100) / 100), [5.12, -0.5, 7]);
    assert.deepEqual(m.voltageV, [230.5, 231, 229.25]);
  });

  it('switches the relay coil (read back on the Python side) and reports its scaled power', async () => {
    assert.deepEqual(await relay.readState(within()), { isOn: false, powerW: 2000 });
    await relay.setOn(true);
    assert.equal(await py.get(2, 'coil', 0), 1);
    assert.equal((await relay.readState(within())).isOn, true);
  });

  it('writes the EV charger current setpoint, which the Python side reads back, and reads the status register', async () => {
    await ev.setCurrentA(13.2, 3);
    assert.equal(await py.get(3, 'holding', 10), 132);
    assert.equal(await py.get(3, 'coil', 0), 1);
    await ev.setCurrentA(0, 3);
    assert.equal(await py.get(3, 'coil', 0), 0);
    await py.set(3, 'holding', 0, 2);
    await py.set(3, 'holding', 1, 131);
    const s = await ev.readState(within());
    assert.equal(s.isConnected, true);
    assert.deepEqual(s.currentsA, [13.1, 0, 0]);
    assert.equal(s.offeredCurrentA, 0);
  });

  it('a unit id the gateway does not know gets no answer (pymodbus drops it): a timeout naming the unit; the connection stays usable', async () => {
    const m = exampleSite(py.port).grid.meter.driver;
    assert.ok(m.type === 'modbus');
    const wrong = modbusDriver.createMeter?.({ ...m, unitId: 9 }, ctx) as ModbusMeter;
    await assert.rejects(wrong.readPowerW(within()), new RegExp(`modbus 127\\.0\\.0\\.1:${py.port} unit 9: read holding 0–1 \\(powerW\\): no answer within 300 ms \\(device off, wrong unit id, or busy\\)`));
    assert.equal(await meter.readPowerW(within()), -1234);
    assert.equal(ctx.shared_.size, 1, 'the other unit shares the gateway connection too');
  });

  it('a register the device does not have gets its Modbus exception (2, illegal data address) in the error', async () => {
    const m = exampleSite(py.port).grid.meter.driver;
    assert.ok(m.type === 'modbus');
    const map = { kind: 'meter', registers: { powerW: { address: 100, function: 'holding', type: 'int32' } } };
    const bad = modbusDriver.createMeter?.({ type: 'modbus', host: m.host, port: m.port, unitId: 1, timeoutMs: 300, map }, ctx) as ModbusMeter;
    await assert.rejects(bad.readPowerW(within()), /unit 1: read holding 100–101 \(powerW\): Modbus exception 2/);
  });

  it('when the gateway is killed, reads reject; when it is back, they recover by themselves', async () => {
    await py.kill();
    await assert.rejects(meter.readPowerW(within()), /unit 1: read holding 0–1 \(powerW\): (not connected|connection closed)/);
    py = await PyGateway.start(py.port);
    await until(async () => (await meter.readPowerW(within())) === -1234, 'the meter to read again', 15_000);
  });
});

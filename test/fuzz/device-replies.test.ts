import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { GridpilotError } from '../../src/core/errors.ts';
import type { ChargePointEvents, CsmsDialect } from '../../src/devices/drivers/ocpp/charge-point-session.ts';
import { createCsms16 } from '../../src/devices/drivers/ocpp/csms-16.ts';
import { createCsms201 } from '../../src/devices/drivers/ocpp/csms-201.ts';
import type { MeterSample } from '../../src/devices/drivers/ocpp/meter-values.ts';
import type { RpcPeer } from '../../src/devices/drivers/ocpp/rpc-peer.ts';
import { ModelBlock } from '../../src/devices/sunspec/model-block.ts';
import { hasModelDefinition, loadModelDefinition } from '../../src/devices/sunspec/model-definition.ts';
import { layoutModel } from '../../src/devices/sunspec/model-layout.ts';
import { decodeWords, fixedSizeOf, POINT_TYPES } from '../../src/devices/sunspec/point-codec.ts';
import { startExampleDevices, within, type ExampleDevices } from '../devices/modbus/context.ts';
import { TestModbusServer } from '../devices/modbus/serial-server.ts';
import { fuzzOptions, runs } from './invariants.ts';

/**
 * Property-based fuzzing of what devices answer [issue 14, fuzz], through the driver-side
 * decoders: Modbus register replies (a real Modbus TCP server on port 0 serving random register
 * images to the real modbus driver's meter, relay and EV charger of examples/modbus), SunSpec model
 * blocks (random registers under the official model layouts the sunspec driver reads), and OCPP
 * messages and replies (the real 1.6 and 2.0.1 central-system dialects, their inbound handlers fed
 * random params and their calls random answers). A reading is a finite number (or null where the
 * protocol says "not implemented"), or the read fails with an error that names where — never NaN,
 * an infinity, or an exception of another kind.
 */

/** Every number in `v` (deeply) is finite; returns the path of the first that is not. */
function nonFinitePath(v: unknown, at = '$'): string | null {
  if (typeof v === 'number') return Number.isFinite(v) ? null : `${at} = ${v}`;
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) {
      const p = nonFinitePath(x, `${at}[${i}]`);
      if (p) return p;
    }
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const p = nonFinitePath(x, `${at}.${k}`);
      if (p) return p;
    }
  }
  return null;
}

/** Register words: mostly any 16-bit value, biased to the edges and the float/NaN patterns. */
const word = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 0xffff }) }, { weight: 2, arbitrary: fc.constantFrom(0, 1, 0x7fff, 0x8000, 0xffff, 0x7f80, 0x7fc0, 0xff80, 0x7f7f) });

describe('fuzz: device replies', () => {
  let server: TestModbusServer;
  let devices: ExampleDevices;
  before(async () => {
    server = await TestModbusServer.start();
    devices = await startExampleDevices(server.port);
  });
  after(async () => {
    await devices.ctx.closeShared();
    await server.stop();
  });

  it('Modbus: random register replies give the meter, relay and EV charger finite readings or an error naming the device', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(word, { minLength: 32, maxLength: 32 }), fc.array(word, { minLength: 32, maxLength: 32 }), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), async (holding, input, coils) => {
        holding.forEach((w, i) => server.holding.set(i, w));
        input.forEach((w, i) => server.input.set(i, w));
        coils.forEach((b, i) => server.coils.set(i, b));
        const what = `holding ${JSON.stringify(holding.slice(0, 16))} input ${JSON.stringify(input.slice(0, 16))}`;
        for (const [name, read] of [
          ['meter power', () => devices.meter.readPowerW(within())],
          ['meter measurements', () => devices.meter.readMeasurements(within())],
          ['relay', () => devices.relay.readState?.(within()) ?? Promise.resolve(null)],
          ['EV charger', () => devices.ev.readState(within())],
        ] as const) {
          let value: unknown;
          try {
            value = await read();
          } catch (err) {
            assert.ok(err instanceof Error && /modbus|unit|register|point/i.test(err.message), `${name} (${what}): failed without saying where: ${String(err)}`);
            continue;
          }
          assert.equal(nonFinitePath(value), null, `${name} (${what}): read ${JSON.stringify(value)}`);
        }
      }),
      fuzzOptions(runs(400)),
    );
  });

  it('SunSpec: random registers under the official model layouts read as finite values, text, or null (not implemented)', () => {
    const ids = [1, 101, 102, 103, 111, 112, 113, 120, 121, 122, 123, 124, 201, 202, 203, 204, 211, 212, 213, 701, 702, 703, 704, 802].filter(hasModelDefinition);
    const layouts = ids.map((id) => layoutModel(loadModelDefinition(id)));
    fc.assert(
      fc.property(fc.nat({ max: layouts.length - 1 }), fc.array(word, { minLength: 400, maxLength: 400 }), (which, words) => {
        const layout = layouts[which];
        assert.ok(layout);
        const block = new ModelBlock(layout, words.slice(0, layout.lengthRegs + 2), 40_000);
        for (const p of layout.points.values()) {
          const what = `model ${layout.id} point ${p.path} (${p.type}) words ${JSON.stringify(words.slice(p.offset, p.offset + p.size))}`;
          if (p.type === 'string') {
            const t = block.text(p.path);
            assert.ok(t === null || typeof t === 'string', what);
          } else {
            const v = block.value(p.path);
            assert.ok(v === null || Number.isFinite(v), `${what}: value ${v}`);
          }
        }
      }),
      fuzzOptions(runs(3000)),
    );
  });

  it('SunSpec: every point type decodes random registers to a finite number, a string, or null', () => {
    fc.assert(
      fc.property(fc.constantFrom(...POINT_TYPES), fc.array(word, { minLength: 1, maxLength: 16 }), (type, words) => {
        const size = fixedSizeOf(type) ?? words.length;
        const v = decodeWords(type, words.slice(0, size).concat(Array<number>(Math.max(0, size - words.length)).fill(0)));
        assert.ok(v === null || typeof v === 'string' || Number.isFinite(v), `${type} ${JSON.stringify(words)}: ${String(v)}`);
      }),
      fuzzOptions(runs(20_000)),
    );
  });

  for (const [version, create] of [
    ['1.6', () => createCsms16(1)],
    ['2.0.1', () => createCsms201(1)],
  ] as const) {
    it(`OCPP ${version}: random charger messages and call answers are decoded to finite readings or refused with a CALLERROR / an error naming the call`, async () => {
      const dialect: CsmsDialect = create();
      const handlers = new Map<string, (call: { params?: unknown }) => Promise<Record<string, unknown>>>();
      let answer: unknown = null;
      const peer: RpcPeer = {
        call: () => (answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer)),
        handle: (method, handler) => void handlers.set(method, handler),
      };
      const samples: MeterSample[] = [];
      const events: ChargePointEvents = {
        chargePointId: 'CP1',
        connectorId: 1,
        onBoot: () => undefined,
        onMessage: () => undefined,
        onStatus: () => undefined,
        onMeter: (s) => void samples.push(s),
        onTransactionStarted: () => undefined,
        onTransactionEnded: () => undefined,
        isAuthorized: () => true,
        nextTransactionId: () => 1,
        nowMs: () => Date.now(),
        heartbeatIntervalS: 60,
      };
      dialect.install(peer, events);
      const methods = [...handlers.keys()];
      const measurand = fc.constantFrom('Power.Active.Import', 'Current.Import', 'Energy.Active.Import.Register', 'Voltage', undefined);
      const sampled = fc.record(
        {
          value: version === '1.6' ? fc.oneof(fc.double().map(String), fc.constantFrom('1e308', '-1e308', '1e400', 'NaN', '', '12,5', ' 7 ', '0x10')) : fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(1e308, -1e308, 5e-324)),
          measurand,
          phase: fc.constantFrom('L1', 'L2', 'L3', 'L1-N', 'N', undefined),
          unit: fc.constantFrom('W', 'kW', 'A', 'Wh', 'kWh', 'V', undefined),
          unitOfMeasure: fc.record({ unit: fc.constantFrom('W', 'kW', 'A', 'Wh', 'kWh'), multiplier: fc.integer({ min: -400, max: 400 }) }),
        },
        { requiredKeys: ['value'] },
      );
      const meterValue = fc.record({ timestamp: fc.constant(new Date().toISOString()), sampledValue: fc.array(sampled, { maxLength: 6 }) });
      const paramsArb = fc.oneof(
        { weight: 4, arbitrary: fc.record({ connectorId: fc.constantFrom(1, 1, 2), evseId: fc.constantFrom(1, 1, 2), meterValue: fc.array(meterValue, { minLength: 1, maxLength: 3 }), transactionId: fc.constantFrom(1, '1'), eventType: fc.constantFrom('Started', 'Updated', 'Ended'), timestamp: fc.constant(new Date().toISOString()), triggerReason: fc.constant('MeterValuePeriodic'), seqNo: fc.nat(), transactionInfo: fc.record({ transactionId: fc.constant('t1'), chargingState: fc.constantFrom('Charging', 'SuspendedEV', 'Idle', 'x') }), numberOfPhasesUsed: fc.oneof(fc.integer({ min: -3, max: 5 }), fc.double()), connectorStatus: fc.constantFrom('Available', 'Occupied', 'Faulted', ''), status: fc.constantFrom('Charging', 'Available', 'SuspendedEV', ''), errorCode: fc.constant('NoError'), idTag: fc.string({ maxLength: 25 }), meterStart: fc.integer(), meterStop: fc.integer(), idToken: fc.record({ idToken: fc.string({ maxLength: 10 }), type: fc.constant('Central') }), chargePointVendor: fc.string(), chargePointModel: fc.string(), reason: fc.constant('PowerUp'), chargingStation: fc.record({ model: fc.string(), vendorName: fc.string() }) }, { requiredKeys: [] }) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      );
      const answerArb = fc.oneof(
        fc.record({ status: fc.constantFrom('Accepted', 'Rejected', 'NotSupported', 'Unknown', 1) }, { requiredKeys: [] }),
        fc.record({ configurationKey: fc.array(fc.record({ key: fc.constantFrom('ChargingScheduleAllowedChargingRateUnit', 'x'), readonly: fc.boolean(), value: fc.oneof(fc.constantFrom('Current', 'Power', 'Current,Power', ''), fc.string()) })), getVariableResult: fc.array(fc.record({ attributeStatus: fc.constantFrom('Accepted', 'Rejected'), attributeValue: fc.constantFrom('A', 'W', 'A,W', ''), component: fc.record({ name: fc.constant('SmartChargingCtrlr') }), variable: fc.record({ name: fc.constant('RateUnit') }) })) }, { requiredKeys: [] }),
        fc.jsonValue({ maxDepth: 2 }),
        fc.constant(Object.assign(new Error('charger said no'), { rpcErrorCode: 'InternalError' })),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...methods), paramsArb, answerArb, async (method, params, reply) => {
          const handler = handlers.get(method);
          assert.ok(handler);
          const what = `${method} ${JSON.stringify(params).slice(0, 300)}`;
          samples.length = 0;
          try {
            const out = await handler({ params });
            assert.ok(typeof out === 'object' && out !== null, `${what}: answered ${String(out)}`);
          } catch (err) {
            assert.equal(typeof (err as { rpcErrorCode?: unknown }).rpcErrorCode, 'string', `${what}: threw ${String(err)} instead of a CALLERROR`);
          }
          for (const s of samples) assert.equal(nonFinitePath(s), null, `${what}: meter sample ${JSON.stringify(s)}`);
          answer = reply;
          const order = { profileId: 9002, purpose: 'TxProfile' as const, unit: 'A' as const, limit: 16, phases: 3 as const, startMs: Date.now(), transactionId: null };
          for (const call of [() => dialect.readRateUnit(peer), () => dialect.setProfile(peer, order), () => dialect.clearProfile(peer, 9002), () => dialect.remoteStart(peer, 'tag')]) {
            try {
              const r = await call();
              assert.equal(typeof r, 'string', `answer ${JSON.stringify(reply)}: decoded ${String(r)}`);
            } catch (err) {
              assert.ok(err instanceof GridpilotError, `answer ${JSON.stringify(reply)}: threw ${String(err)} instead of a GridpilotError`);
            }
          }
        }),
        fuzzOptions(runs(3000)),
      );
    });
  }
});

import { z } from 'zod';

/**
 * The register map of a generic (non-SunSpec) Modbus device: which register holds what, in which
 * type, scale and sign, keyed by its meaning. Strict: unknown keys fail, and the cross-field rules
 * (write semantics on writable tables only, register widths, overlaps, pause mode) are checked in
 * `superRefine` so each error carries the path of the entry at fault. docs/modbus.md has the format.
 *
 * Addresses are the 0-based protocol addresses of the request PDU [Modbus Application Protocol
 * V1.1b3 §4.4]: holding register "40001" is `address: 0, function: holding`.
 */

/** Modbus data tables [Modbus V1.1b3 §4.3]: holding registers (FC3 read, FC6/16 write), input registers (FC4), coils (FC1 read, FC5 write), discrete inputs (FC2). */
export const MODBUS_FUNCTIONS = ['holding', 'input', 'coil', 'discrete'] as const;
export type ModbusFunction = (typeof MODBUS_FUNCTIONS)[number];

/** Register value types; 32/64-bit values span 2/4 consecutive registers. */
export const REGISTER_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'int64', 'uint64'] as const;
export type RegisterType = (typeof REGISTER_TYPES)[number];

/** Registers a value of this type occupies. */
export function registerWidth(type: RegisterType): 1 | 2 | 4 {
  return type.endsWith('16') ? 1 : type.endsWith('64') ? 4 : 2;
}

const address = z.number().int().min(0).max(65_535);
const registerType = z.enum(REGISTER_TYPES);
/** `big`: the most significant word first (the Modbus norm); `little`: the least significant word first. Bytes within a word are always big-endian. */
const wordOrder = z.enum(['big', 'little']);
const rawValue = z.number().int().min(-(2 ** 53)).max(2 ** 53);

/** A number read from one or more registers: value = (raw × scale + offset) × (sign inverted ? −1 : 1). */
export const NumericPointSchema = z.strictObject({
  address,
  /** holding or input (numbers live in registers, not in coils). */
  function: z.enum(MODBUS_FUNCTIONS),
  type: registerType,
  /** 32/64-bit types only. Default big (high word first). */
  wordOrder: wordOrder.optional(),
  /** Registers the value spans, if you want it checked against the type (int32 → 2). */
  count: z.number().int().min(1).max(4).optional(),
  /** Multiplier from the raw value to the semantic's unit (0.1 when the register holds 0.1 W). Default 1; not 0. */
  scale: z.number().finite().refine((s) => s !== 0, 'scale must not be 0').default(1),
  /** Added after scaling, in the semantic's unit. Default 0. */
  offset: z.number().finite().default(0),
  /** `inverted` negates the value: maps a device that counts export as + onto gridpilot's import +. Default normal. */
  sign: z.enum(['normal', 'inverted']).default('normal'),
});
export type NumericPoint = z.output<typeof NumericPointSchema>;

/** A yes/no read: a coil or discrete input (1 = true unless `trueValues` says otherwise), or a register compared with `trueValues` or tested at `bit`. */
export const BoolPointSchema = z.strictObject({
  address,
  function: z.enum(MODBUS_FUNCTIONS),
  /** Registers only. Default uint16. */
  type: registerType.optional(),
  wordOrder: wordOrder.optional(),
  count: z.number().int().min(1).max(4).optional(),
  /** Raw values that mean true (e.g. a status register's "plugged" states [2, 3, 4]); for coils/discrete inputs [1] or [0]. */
  trueValues: z.array(rawValue).min(1).optional(),
  /** Registers only, instead of trueValues: true when this bit (0 = least significant) of the raw value is set. */
  bit: z.number().int().min(0).max(63).optional(),
});
export type BoolPoint = z.output<typeof BoolPointSchema>;

/** An on/off the driver writes (and reads back): a coil (on = 1), or a holding register written onValue / offValue. */
export const SwitchPointSchema = z.strictObject({
  address,
  function: z.enum(MODBUS_FUNCTIONS),
  /** Holding registers only. Default uint16. */
  type: registerType.optional(),
  wordOrder: wordOrder.optional(),
  count: z.number().int().min(1).max(4).optional(),
  /** Raw value written for on (holding only). Default 1. */
  onValue: rawValue.optional(),
  /** Raw value written for off (holding only). Default 0. */
  offValue: rawValue.optional(),
});
export type SwitchPoint = z.output<typeof SwitchPointSchema>;

/** The charging current setpoint, A per phase, written to a holding register: raw = A / scale, rounded. */
export const SetpointPointSchema = z.strictObject({
  address,
  function: z.enum(MODBUS_FUNCTIONS),
  type: registerType,
  wordOrder: wordOrder.optional(),
  count: z.number().int().min(1).max(4).optional(),
  /** A per raw unit (0.1 when the register takes 0.1 A). Default 1; > 0. */
  scale: z.number().finite().positive().default(1),
  /** Raw value that hands control back to the charger (`setCurrentA(null)`); absent = write the device's maxCurrentA. */
  releaseValue: rawValue.optional(),
});
export type SetpointPoint = z.output<typeof SetpointPointSchema>;

/** Phases in use: a register whose raw value is onePhaseValue or threePhaseValue; written (holding) to switch phases when the device canSwitchPhases. */
export const PhasesPointSchema = z.strictObject({
  address,
  function: z.enum(MODBUS_FUNCTIONS),
  type: registerType.optional(),
  wordOrder: wordOrder.optional(),
  count: z.number().int().min(1).max(4).optional(),
  /** Default 1. */
  onePhaseValue: rawValue.default(1),
  /** Default 3. */
  threePhaseValue: rawValue.default(3),
});
export type PhasesPoint = z.output<typeof PhasesPointSchema>;

const NumericListSchema = z.array(NumericPointSchema).min(1).max(3);
/**
 * One point, or a list (1–3) whose values are summed (per-phase powers). Chosen by shape rather
 * than with z.union, so an error inside an entry keeps its own path and message.
 */
const numericSumOptional = z
  .unknown()
  .transform((v, ctx): NumericPoint | NumericPoint[] => {
    const parsed = Array.isArray(v) ? NumericListSchema.safeParse(v) : NumericPointSchema.safeParse(v);
    if (parsed.success) return parsed.data;
    for (const i of parsed.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path.map((k) => (typeof k === 'number' ? k : String(k))) });
    return z.NEVER;
  })
  .optional();
const perPhase = z.array(NumericPointSchema).min(1).max(3).optional();

const readOptions = {
  /** Unmapped registers a read may bridge to join two ranges into one request (they must be readable). Default 0. */
  maxReadGap: z.number().int().min(0).max(32).default(0),
  /** Largest read request, registers (≤ 125 [Modbus V1.1b3 §6.3]). Default 125. */
  maxReadRegisters: z.number().int().min(4).max(125).default(125),
};
/** s: the device falls back to its own default when not written for this long; the driver rewrites its last values every watchdogS / 2. Absent = the device has no such watchdog (unchanged values are not rewritten). */
const watchdogS = z.number().positive().max(3600).optional();

/** A meter (the grid meter). */
export const MeterMapSchema = z.strictObject({
  kind: z.literal('meter'),
  ...readOptions,
  registers: z.strictObject({
    /** W, + import / − export; a list is summed (per-phase powers). */
    powerW: numericSumOptional,
    /** Wh imported since the meter's origin, ≥ 0, rising. */
    energyImportWh: numericSumOptional,
    /** Wh exported since the meter's origin, ≥ 0, rising. */
    energyExportWh: numericSumOptional,
    /** A per phase, L1..L3; + import (as the device reports it; many meters give magnitudes). */
    currentsA: perPhase,
    /** V, phase to neutral, L1..L3 (one entry for a single-phase or averaged value). */
    voltageV: perPhase,
  }),
});

/** A relay (switched_load) or an on/off heat pump (heat_pump). */
export const SwitchMapSchema = z.strictObject({
  kind: z.literal('switch'),
  ...readOptions,
  watchdogS,
  registers: z.strictObject({
    /** The relay: written by setOn, read back by readState. Coil or holding register. */
    onOff: SwitchPointSchema.optional(),
    /** W consumed, ≥ 0; absent = the device's ratedPowerW while on, 0 while off. */
    powerW: numericSumOptional,
  }),
});

/** A Modbus EV charger (variable_power_load). */
export const EvChargerMapSchema = z.strictObject({
  kind: z.literal('ev_charger'),
  ...readOptions,
  watchdogS,
  /** How `setCurrentA(0)` pauses: `zero` writes 0 A to currentSetpointA, `enable` switches `enable` off. Default: enable when mapped, else zero. */
  pause: z.enum(['zero', 'enable']).optional(),
  registers: z.strictObject({
    /** W drawn, ≥ 0; a list is summed. Absent = Σ currentsA × the device's voltageV. */
    powerW: numericSumOptional,
    /** A per phase, L1..L3. Absent = powerW spread over the phases in use. */
    currentsA: perPhase,
    /** A car is plugged in. */
    connected: BoolPointSchema.optional(),
    /** The car draws current now (absent = assumed while connected). */
    charging: BoolPointSchema.optional(),
    /** A per phase, written (holding register). */
    currentSetpointA: SetpointPointSchema.optional(),
    /** Charging allowed: written on with every current > 0, off to pause when `pause: enable`. */
    enable: SwitchPointSchema.optional(),
    /** Phases in use (1 or 3); written to switch phases when it is a holding register and the device canSwitchPhases. */
    phases: PhasesPointSchema.optional(),
  }),
});

export const ModbusMapBaseSchema = z.discriminatedUnion('kind', [MeterMapSchema, SwitchMapSchema, EvChargerMapSchema]);

/** What a mapped semantic is used for: read only, written (and read back), or written only. */
type Access = 'read' | 'write' | 'setpoint';
interface Entry {
  path: Array<string | number>;
  label: string;
  point: { address: number; function: ModbusFunction; type?: RegisterType | undefined; wordOrder?: 'big' | 'little' | undefined; count?: number | undefined };
  access: Access;
  isBool: boolean;
}

/** Every mapped point with its path under the map and its meaning ("powerW[1]"). */
function entriesOf(map: z.output<typeof ModbusMapBaseSchema>): Entry[] {
  const out: Entry[] = [];
  const regs = map.registers as Record<string, unknown>;
  for (const [key, value] of Object.entries(regs)) {
    if (value === undefined) continue;
    const access: Access = key === 'onOff' || key === 'enable' ? 'write' : key === 'currentSetpointA' ? 'setpoint' : 'read';
    const isBool = key === 'onOff' || key === 'enable' || key === 'connected' || key === 'charging';
    if (Array.isArray(value)) {
      value.forEach((p: Entry['point'], i) => out.push({ path: ['registers', key, i], label: `${key}[${i}]`, point: p, access, isBool }));
    } else {
      out.push({ path: ['registers', key], label: key, point: value as Entry['point'], access, isBool });
    }
  }
  return out;
}

const isBitTable = (f: ModbusFunction) => f === 'coil' || f === 'discrete';

/** The cross-field rules of a map; each issue carries the path of the entry at fault. */
function checkMap(map: z.output<typeof ModbusMapBaseSchema>, ctx: z.RefinementCtx): void {
  const entries = entriesOf(map);
  for (const e of entries) {
    const p = e.point;
    const issue = (message: string, sub?: string) => ctx.addIssue({ code: 'custom', message, path: sub ? [...e.path, sub] : e.path });
    if (e.access === 'setpoint' && p.function !== 'holding') {
      issue(`${e.label} is written: it must be a holding register (${p.function} ${isBitTable(p.function) ? 'bits hold no current' : 'registers are read-only'})`, 'function');
    }
    if (e.access === 'write' && p.function !== 'holding' && p.function !== 'coil') {
      issue(`${e.label} is written: it must be a coil or a holding register (${p.function} ${p.function === 'input' ? 'registers' : 'inputs'} are read-only)`, 'function');
    }
    if (!e.isBool && e.access === 'read' && isBitTable(p.function) && e.label.split('[')[0] !== 'phases') {
      issue(`${e.label} is a number: it must be a holding or input register, not a ${p.function}`, 'function');
    }
    if (e.label === 'phases' && isBitTable(p.function)) issue(`phases must be a holding or input register, not a ${p.function}`, 'function');
    if (isBitTable(p.function)) {
      for (const k of ['type', 'wordOrder', 'count', 'bit', 'onValue', 'offValue'] as const) {
        if ((p as Record<string, unknown>)[k] !== undefined) issue(`${k} applies to registers only; a ${p.function} is one bit`, k);
      }
      const tv = (p as { trueValues?: number[] }).trueValues;
      if (tv?.some((v) => v !== 0 && v !== 1)) issue(`a ${p.function} is 0 or 1: trueValues must be [1] or [0]`, 'trueValues');
      continue;
    }
    const type: RegisterType = p.type ?? 'uint16';
    const width = registerWidth(type);
    if (p.wordOrder !== undefined && width === 1) issue(`wordOrder applies to 32- and 64-bit types only (${type} is one register)`, 'wordOrder');
    if (p.count !== undefined && p.count !== width) issue(`${type} takes ${width} register${width > 1 ? 's' : ''}, count says ${p.count}`, 'count');
    if (p.address + width - 1 > 65_535) issue(`${type} at ${p.address} runs past register 65535`, 'address');
    if (e.isBool && e.access === 'read') {
      const b = p as BoolPoint;
      if (b.trueValues === undefined && b.bit === undefined) issue(`${e.label} in a register needs trueValues (raw values meaning true) or bit`);
      if (b.trueValues !== undefined && b.bit !== undefined) issue(`${e.label}: give trueValues or bit, not both`, 'bit');
      if (b.bit !== undefined && b.bit >= width * 16) issue(`bit ${b.bit} is beyond a ${type}`, 'bit');
    }
    if (e.access === 'write' && p.function === 'holding') {
      const s = p as SwitchPoint;
      if ((s.onValue ?? 1) === (s.offValue ?? 0)) issue(`onValue and offValue must differ (both ${s.onValue ?? 1})`, 'offValue');
    }
    if (e.label === 'phases') {
      const ph = p as PhasesPoint;
      if (ph.onePhaseValue === ph.threePhaseValue) issue('onePhaseValue and threePhaseValue must differ', 'threePhaseValue');
    }
  }
  // Overlaps, per table: two entries may share registers only when they are the same registers read
  // the same way as yes/no values (one status register behind `connected` and `charging`).
  const span = (e: Entry) => (isBitTable(e.point.function) ? 1 : registerWidth(e.point.type ?? 'uint16'));
  for (let i = 0; i < entries.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = entries[i];
      const b = entries[j];
      if (!a || !b || a.point.function !== b.point.function) continue;
      const a0 = a.point.address;
      const a1 = a0 + span(a) - 1;
      const b0 = b.point.address;
      const b1 = b0 + span(b) - 1;
      if (a0 > b1 || b0 > a1) continue;
      const sameRead = a.isBool && b.isBool && a.access === 'read' && b.access === 'read' && a0 === b0 && a1 === b1 && (a.point.type ?? 'uint16') === (b.point.type ?? 'uint16');
      if (sameRead) continue;
      ctx.addIssue({
        code: 'custom',
        path: [...a.path, 'address'],
        message: `${a.label} (${a.point.function} ${a0}${a1 > a0 ? `–${a1}` : ''}) overlaps ${b.label} (${b.point.function} ${b0}${b1 > b0 ? `–${b1}` : ''})`,
      });
    }
  }
  const need = (key: string, what: string) => {
    if ((map.registers as Record<string, unknown>)[key] === undefined) ctx.addIssue({ code: 'custom', path: ['registers', key], message: `required: ${key} (${what})` });
  };
  if (map.kind === 'meter') need('powerW', 'W, + import / − export');
  if (map.kind === 'switch') need('onOff', 'the relay, a coil or holding register');
  if (map.kind === 'ev_charger') {
    need('connected', 'a car is plugged in: a status register with trueValues, or a discrete input');
    need('currentSetpointA', 'the charging current setpoint, a holding register');
    if (map.registers.powerW === undefined && map.registers.currentsA === undefined) {
      ctx.addIssue({ code: 'custom', path: ['registers', 'powerW'], message: 'required: powerW or currentsA (what the charger draws)' });
    }
  }
  if (map.kind === 'ev_charger' && map.pause === 'enable' && map.registers.enable === undefined) {
    ctx.addIssue({ code: 'custom', path: ['pause'], message: 'pause "enable" needs registers.enable' });
  }
}

/** A validated register map. */
export const ModbusMapSchema = ModbusMapBaseSchema.superRefine(checkMap);
export type ModbusMap = z.output<typeof ModbusMapSchema>;
export type MeterMap = Extract<ModbusMap, { kind: 'meter' }>;
export type SwitchMap = Extract<ModbusMap, { kind: 'switch' }>;
export type EvChargerMap = Extract<ModbusMap, { kind: 'ev_charger' }>;
export type ModbusMapKind = ModbusMap['kind'];

import fc from 'fast-check';

/**
 * Generators of outside input for the fuzz tests (test/fuzz/*.test.ts): JSON texts that are
 * well-formed but wrong (valid shapes with out-of-range values, unknown fields, wrong types, huge
 * numbers, NaN-like strings) and structurally random ones (any JSON, deep nesting, raw bytes,
 * `__proto__` / `constructor` / `prototype` keys, duplicate keys, a UTF-8 BOM).
 *
 * Texts are rendered by hand (`objectText`) rather than with JSON.stringify so that a generated
 * object can hold the same key twice and a real `"__proto__"` key, as a hostile sender's can.
 */

/** A JSON text made of entries rendered in order (duplicates kept). */
export function objectText(entries: ReadonlyArray<readonly [string, string]>): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

/** Reserved names a sender may use as keys (docs/protocol.md § Input). */
export const RESERVED = ['__proto__', 'constructor', 'prototype'] as const;

/** Numbers a controller must survive: huge, tiny, negative zero, exponents, beyond double range (as text). */
export const nastyNumberText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('0', '-0', '1e308', '-1e308', '1e309', '-1e400', '5e-324', '9007199254740993', '1.7976931348623157e308', '123456789012345678901234567890', '0.1e1', '1E3', '-2.5e-3'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.integer().map(String),
  fc.integer({ min: -100_000, max: 100_000 }).map(String),
);

/** Strings that look like numbers to a careless parser, or are one. */
export const nastyStringText: fc.Arbitrary<string> = fc
  .oneof(
    fc.constantFrom('NaN', 'nan', 'Infinity', '-Infinity', 'inf', '', ' ', '1e999', '0x10', '1_000', '12abc', '  42  ', '+5', '.5', '5.', '−5', '١٢', 'null', 'true', '\u0000', '\uFEFF1', '1,5', '∞'),
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'grapheme', maxLength: 8 }),
    fc.double().map(String),
  )
  .map((s) => JSON.stringify(s));

/** Any small JSON value as text, nesting bounded. */
export const anyJsonText: fc.Arbitrary<string> = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null');

/** Deeply nested arrays or objects (up to 5,000 levels): a recursive walker would overflow its stack. */
export const deepNestingText: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 5000 }), fc.boolean(), fc.boolean())
  .map(([depth, isArray, isClosed]) => {
    const open = isArray ? '['.repeat(depth) : '{"a":'.repeat(depth);
    const close = isArray ? ']'.repeat(depth) : '}'.repeat(depth);
    return isClosed ? `${open}1${close}` : `${open}1`;
  });

/** A value text of any of the kinds above, weighted towards the plausible. */
export const valueText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: nastyNumberText },
  { weight: 4, arbitrary: nastyStringText },
  { weight: 2, arbitrary: anyJsonText },
  { weight: 1, arbitrary: fc.constantFrom('null', 'true', 'false', '[]', '{}', '{"__proto__":{"x":1}}', '[1,[2,[3]]]') },
);

/** A key: a plausible one from `known`, an unknown one, a reserved one, or a weird string. */
export function keyArb(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...known) },
    { weight: 1, arbitrary: fc.constantFrom(...RESERVED) },
    { weight: 1, arbitrary: fc.string({ maxLength: 16 }) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', 'storage_policy ', 'STORAGE_POLICY', 'storage__policy', '_policy', '_power_setpoint_w', 'toString', 'hasOwnProperty', '\u0000', 'a.b', 'fields') },
  );
}

/** Entries of an object: mostly known keys with plausible values, sometimes the same key twice. */
export function entriesArb(known: readonly string[], value: fc.Arbitrary<string>, maxLength = 8): fc.Arbitrary<Array<[string, string]>> {
  return fc.array(fc.tuple(keyArb(known), value), { maxLength });
}

/**
 * How a message's `time` is written, relative to the controller's now at send time (the property
 * renders it): an offset in seconds as seconds, milliseconds or a numeric string, or a raw text.
 */
export type TimeSpec = { kind: 'offset'; offsetS: number; form: 's' | 'ms' | 'string' | 'fraction' } | { kind: 'raw'; text: string } | { kind: 'absent' };

export const timeSpecArb: fc.Arbitrary<TimeSpec> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('offset' as const),
      // Mostly around now (accepted or refused by the ordering rule), sometimes far out (the age and lead rules).
      offsetS: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -30, max: 1 }) }, { weight: 1, arbitrary: fc.integer({ min: -400_000, max: 400_000 }) }),
      form: fc.constantFrom('s' as const, 's' as const, 's' as const, 'ms' as const, 'string' as const, 'fraction' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('raw' as const), text: fc.oneof(nastyNumberText, nastyStringText, anyJsonText) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'absent' as const }) },
);

/** The text of a `time` (undefined = leave the key out). */
export function renderTime(spec: TimeSpec, nowMs: number): string | undefined {
  if (spec.kind === 'absent') return undefined;
  if (spec.kind === 'raw') return spec.text;
  const s = Math.floor(nowMs / 1000) + spec.offsetS;
  switch (spec.form) {
    case 's':
      return String(s);
    case 'ms':
      return String(s * 1000);
    case 'string':
      return JSON.stringify(String(s));
    case 'fraction':
      return String(s + 0.25);
  }
}

/** Envelope-level damage applied to an otherwise rendered message. */
export type Wrapping = 'none' | 'bom' | 'truncate' | 'trailing-garbage' | 'array' | 'double-encoded' | 'invalid-utf8' | 'whitespace';

export const wrappingArb: fc.Arbitrary<Wrapping> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('none' as const) },
  { weight: 2, arbitrary: fc.constant('bom' as const) },
  { weight: 1, arbitrary: fc.constantFrom('truncate' as const, 'trailing-garbage' as const, 'array' as const, 'double-encoded' as const, 'invalid-utf8' as const, 'whitespace' as const) },
);

/** Applies a wrapping to a JSON text; `cut` in [0, 1) picks where `truncate` cuts. */
export function wrap(text: string, how: Wrapping, cut: number): Buffer {
  switch (how) {
    case 'none':
      return Buffer.from(text);
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    case 'truncate':
      return Buffer.from(text.slice(0, Math.floor(text.length * cut)));
    case 'trailing-garbage':
      return Buffer.from(`${text}}`);
    case 'array':
      return Buffer.from(`[${text}]`);
    case 'double-encoded':
      return Buffer.from(JSON.stringify(text));
    case 'invalid-utf8':
      return Buffer.concat([Buffer.from(text.slice(0, Math.floor(text.length * cut))), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(text.slice(Math.floor(text.length * cut)))]);
    case 'whitespace':
      return Buffer.from(`\n\t ${text} \r\n`);
  }
}

/** Structurally random payloads: raw bytes, any JSON, deep nesting, huge texts. */
export const randomPayloadArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  anyJsonText.map((t) => Buffer.from(t)),
  deepNestingText.map((t) => Buffer.from(t)),
  fc.string({ maxLength: 40 }).map((t) => Buffer.from(t)),
  fc.constantFrom('', ' ', 'null', '[]', '{}', '""', '{"a":1,"a":2}', '{"__proto__":null}', '\uFEFF{}', '{"extraTags":', 'NaN').map((t) => Buffer.from(t)),
);

/** A few large payloads (around and above 64 KiB), generated rarely. */
export const hugePayloadArb: fc.Arbitrary<(head: string) => Buffer> = fc.integer({ min: 60_000, max: 70_000 }).map((size) => (head: string) => {
  const filler = `"pad":"${'x'.repeat(Math.max(0, size - head.length - 10))}"`;
  return Buffer.from(`${head.slice(0, -1)},${filler}}`);
});

/** What a generated live command is made of; rendered against the controller's now by {@link renderCommand}. */
export interface CommandSpec {
  nodeId: 'site' | 'other' | { raw: string };
  extraTagsExtra: Array<[string, string]>;
  time: TimeSpec;
  fields: Array<[string, string]> | { raw: string };
  topLevelExtra: Array<[string, string]>;
  /** Leave out one of the three envelope keys. */
  missing: 'none' | 'extraTags' | 'fields';
  wrapping: Wrapping;
  cut: number;
}

/** Known field keys: each component and device nodeId with `_policy` and `_power_setpoint_w`. */
export function fieldKeys(prefixes: readonly string[]): string[] {
  return prefixes.flatMap((p) => [`${p}_policy`, `${p}_power_setpoint_w`]);
}

/** Policy strings: canonical, aliases in other spellings, wrong for the component, garbage. */
export const policyText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .constantFrom('setpoint', 'Setpoint', 'SETPOINT', 'limit', 'export_limit', 'default', 'off', 'on', 'passive', 'cost', 'self_consumption', 'selfConsumption', 'self-consumption', 'feed_in_limitation', 'feedin_limitation', 'power_on', 'power_off', 'fallback', 'cost_optimisation', 'self consumption optimization', 'feed in limit')
      .map((s) => JSON.stringify(s)),
  },
  { weight: 1, arbitrary: nastyStringText },
  { weight: 1, arbitrary: valueText },
);

/** Setpoint values: plausible watts, out of range, huge, numeric strings, wrong types. */
export const setpointText: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -20_000, max: 20_000 }).map(String) },
  { weight: 2, arbitrary: fc.integer({ min: -20_000, max: 20_000 }).map((n) => JSON.stringify(String(n))) },
  { weight: 2, arbitrary: nastyNumberText },
  { weight: 1, arbitrary: valueText },
);

export function commandSpecArb(prefixes: readonly string[]): fc.Arbitrary<CommandSpec> {
  const keys = fieldKeys(prefixes);
  const fieldEntry: fc.Arbitrary<[string, string]> = keyArb(keys).chain((k) => (k.endsWith('_policy') ? policyText : k.endsWith('_power_setpoint_w') ? setpointText : valueText).map((v): [string, string] => [k, v]));
  return fc.record({
    nodeId: fc.oneof({ weight: 12, arbitrary: fc.constant('site' as const) }, { weight: 1, arbitrary: fc.constant('other' as const) }, { weight: 1, arbitrary: valueText.map((raw) => ({ raw })) }),
    extraTagsExtra: fc.oneof({ weight: 8, arbitrary: fc.constant<Array<[string, string]>>([]) }, { weight: 1, arbitrary: entriesArb(['site', 'source', 'nodeId', '__proto__'], valueText, 3) }),
    time: timeSpecArb,
    fields: fc.oneof({ weight: 12, arbitrary: fc.array(fieldEntry, { maxLength: 6 }) }, { weight: 1, arbitrary: valueText.map((raw) => ({ raw })) }),
    topLevelExtra: fc.oneof({ weight: 8, arbitrary: fc.constant<Array<[string, string]>>([]) }, { weight: 1, arbitrary: entriesArb(['extra', 'time', 'fields', 'extraTags', 'constructor', '__proto__'], valueText, 3) }),
    missing: fc.oneof({ weight: 20, arbitrary: fc.constant('none' as const) }, { weight: 1, arbitrary: fc.constantFrom('extraTags' as const, 'fields' as const) }),
    wrapping: wrappingArb,
    cut: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  });
}

/** The payload of a generated command at `nowMs` for the site `siteNodeId`. */
export function renderCommand(spec: CommandSpec, siteNodeId: string, nowMs: number): Buffer {
  const nodeIdText = spec.nodeId === 'site' ? JSON.stringify(siteNodeId) : spec.nodeId === 'other' ? JSON.stringify(`${siteNodeId}x`) : spec.nodeId.raw;
  const entries: Array<[string, string]> = [];
  if (spec.missing !== 'extraTags') entries.push(['extraTags', objectText([['nodeId', nodeIdText], ...spec.extraTagsExtra])]);
  const time = renderTime(spec.time, nowMs);
  if (time !== undefined) entries.push(['time', time]);
  if (spec.missing !== 'fields') entries.push(['fields', Array.isArray(spec.fields) ? objectText(spec.fields) : spec.fields.raw]);
  entries.push(...spec.topLevelExtra);
  return wrap(objectText(entries), spec.wrapping, spec.cut);
}

/** A command payload to render at the controller's now: a generated command (mostly), random bytes or JSON, or a huge one. */
export type PayloadAt = (siteNodeId: string, nowMs: number) => Buffer;

/**
 * Commands an integrator would send: this site, `time` about now, 1–3 components or devices with a
 * policy of theirs (any spelling) and a plausible setpoint — accepted unless the ordering or age
 * rule refuses them, so the applied path is fuzzed as much as the refusals.
 */
export function plausibleCommandSpecArb(targets: ReadonlyArray<{ prefix: string; policies: readonly string[] }>): fc.Arbitrary<CommandSpec> {
  const entry = fc
    .tuple(fc.constantFrom(...targets), fc.integer({ min: -12_000, max: 12_000 }), fc.boolean())
    .chain(([t, w, hasSetpoint]) =>
      fc.constantFrom(...t.policies).map((policy): Array<[string, string]> => [[`${t.prefix}_policy`, JSON.stringify(policy)], ...(hasSetpoint || policy === 'setpoint' || policy === 'limit' ? [[`${t.prefix}_power_setpoint_w`, String(policy === 'setpoint' && t.prefix !== 'storage' ? Math.abs(w) : w)] as [string, string]] : [])]),
    );
  return fc.record({
    nodeId: fc.constant('site' as const),
    extraTagsExtra: fc.constant<Array<[string, string]>>([]),
    time: fc.record({ kind: fc.constant('offset' as const), offsetS: fc.constantFrom(0, 0, 0, 0, 0, 0, -1, 1), form: fc.constantFrom('s' as const, 'ms' as const, 'string' as const) }),
    fields: fc.array(entry, { minLength: 0, maxLength: 3 }).map((es) => es.flat()),
    topLevelExtra: fc.constant<Array<[string, string]>>([]),
    missing: fc.constant('none' as const),
    wrapping: fc.constantFrom('none' as const, 'none' as const, 'bom' as const, 'whitespace' as const),
    cut: fc.constant(0),
  });
}

export function commandPayloadArb(prefixes: readonly string[], targets: ReadonlyArray<{ prefix: string; policies: readonly string[] }>): fc.Arbitrary<PayloadAt> {
  const spec = commandSpecArb(prefixes);
  return fc.oneof(
    { weight: 100, arbitrary: plausibleCommandSpecArb(targets).map((s): PayloadAt => (site, now) => renderCommand(s, site, now)) },
    { weight: 200, arbitrary: spec.map((s): PayloadAt => (site, now) => renderCommand(s, site, now)) },
    { weight: 40, arbitrary: randomPayloadArb.map((b): PayloadAt => () => b) },
    // Around and above the 64 KiB limit: rare (one in ~350), as they cost ~1 ms each to refuse.
    { weight: 1, arbitrary: fc.tuple(spec, hugePayloadArb).map(([s, huge]): PayloadAt => (site, now) => huge(renderCommand({ ...s, wrapping: 'none' }, site, now).toString())) },
  );
}

/** One schedule slot: bounds relative to now (seconds), in some form, and its fields. */
interface SlotSpec {
  start: TimeSpec;
  lengthS: number;
  endRaw: string | null;
  fields: Array<[string, string]> | { raw: string };
  extra: Array<[string, string]>;
}

/** What a generated schedule message is made of; rendered against the controller's now by {@link renderSchedule}. */
export interface ScheduleSpec {
  envelope: CommandSpec;
  mode: string | null;
  slots: SlotSpec[] | { raw: string };
}

/**
 * Schedule messages [scheduled §Message]: plausible group-level slots (now to a few days ahead,
 * 15 min to 2 h, sometimes overlapping or beyond the 7-day horizon), device keys (refused: 12),
 * slots that already ended, reversed bounds, bad modes, and the envelope damage of live commands.
 */
export function scheduleSpecArb(groupTargets: ReadonlyArray<{ prefix: string; policies: readonly string[] }>, prefixes: readonly string[]): fc.Arbitrary<ScheduleSpec> {
  const plausibleFields = fc
    .array(
      fc.tuple(fc.constantFrom(...groupTargets), fc.integer({ min: -8000, max: 8000 })).chain(([t, w]) =>
        fc.constantFrom(...t.policies).map((p): Array<[string, string]> => [[`${t.prefix}_policy`, JSON.stringify(p)], ...(p === 'setpoint' || p === 'limit' ? [[`${t.prefix}_power_setpoint_w`, String(t.prefix === 'storage' ? w : Math.abs(w))] as [string, string]] : [])]),
      ),
      { maxLength: 3 },
    )
    .map((es) => es.flat());
  const anyFields = fc.array(fc.tuple(keyArb(fieldKeys(prefixes)), fc.oneof(policyText, setpointText)), { maxLength: 4 });
  const slot: fc.Arbitrary<SlotSpec> = fc.record({
    start: fc.oneof(
      { weight: 10, arbitrary: fc.record({ kind: fc.constant('offset' as const), offsetS: fc.integer({ min: -7200, max: 4 * 86_400 }), form: fc.constantFrom('s' as const, 's' as const, 'ms' as const, 'string' as const) }) },
      { weight: 1, arbitrary: timeSpecArb },
    ),
    lengthS: fc.oneof({ weight: 10, arbitrary: fc.constantFrom(900, 1800, 3600, 7200) }, { weight: 2, arbitrary: fc.integer({ min: -3600, max: 9 * 86_400 }) }),
    endRaw: fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: valueText }),
    fields: fc.oneof({ weight: 8, arbitrary: plausibleFields }, { weight: 3, arbitrary: anyFields }, { weight: 1, arbitrary: valueText.map((raw) => ({ raw })) }),
    extra: fc.oneof({ weight: 10, arbitrary: fc.constant<Array<[string, string]>>([]) }, { weight: 1, arbitrary: entriesArb(['note', 'start', '__proto__', 'fields'], valueText, 2) }),
  });
  return fc.record({
    envelope: fc.oneof({ weight: 3, arbitrary: plausibleCommandSpecArb([{ prefix: 'storage', policies: ['off'] }]) }, { weight: 1, arbitrary: commandSpecArb(prefixes) }),
    // `replace` often enough that the stored schedule stays small (a merge-only stream fills the 2,000 slots).
    mode: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.constant('"merge"') }, { weight: 4, arbitrary: fc.constantFrom('"replace"', '" Replace "') }, { weight: 1, arbitrary: valueText }),
    slots: fc.oneof({ weight: 20, arbitrary: fc.array(slot, { maxLength: 6 }) }, { weight: 1, arbitrary: valueText.map((raw) => ({ raw })) }),
  });
}

/** The payload of a generated schedule at `nowMs` for the site `siteNodeId`. */
export function renderSchedule(spec: ScheduleSpec, siteNodeId: string, nowMs: number): Buffer {
  const env = spec.envelope;
  const nodeIdText = env.nodeId === 'site' ? JSON.stringify(siteNodeId) : env.nodeId === 'other' ? JSON.stringify(`${siteNodeId}x`) : env.nodeId.raw;
  const entries: Array<[string, string]> = [];
  if (env.missing !== 'extraTags') entries.push(['extraTags', objectText([['nodeId', nodeIdText], ...env.extraTagsExtra])]);
  const time = renderTime(env.time, nowMs);
  if (time !== undefined) entries.push(['time', time]);
  if (spec.mode !== null) entries.push(['mode', spec.mode]);
  const slotsText = Array.isArray(spec.slots)
    ? `[${spec.slots
        .map((s) => {
          const start = renderTime(s.start, nowMs);
          const startS = s.start.kind === 'offset' ? Math.floor(nowMs / 1000) + s.start.offsetS : Math.floor(nowMs / 1000);
          const end = s.endRaw ?? String(startS + s.lengthS);
          const parts: Array<[string, string]> = [];
          if (start !== undefined) parts.push(['start', start]);
          parts.push(['end', end], ['fields', Array.isArray(s.fields) ? objectText(s.fields) : s.fields.raw], ...s.extra);
          return objectText(parts);
        })
        .join(',')}]`
    : spec.slots.raw;
  if (env.missing !== 'fields') entries.push(['schedule', slotsText]);
  entries.push(...env.topLevelExtra);
  return wrap(objectText(entries), env.wrapping, env.cut);
}

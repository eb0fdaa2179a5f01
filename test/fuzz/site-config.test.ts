import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify as stringifyYaml } from 'yaml';
import { GridpilotError } from '../../src/core/errors.ts';
import { demoSiteConfig } from '../../src/site/demo-site.ts';
import { loadSiteConfigFile, resolveSiteConfig } from '../../src/site/site-config.ts';
import { checkSiteConfig } from '../../src/web/config-check.ts';
import { runs, fuzzOptions } from './invariants.ts';

/**
 * Property-based fuzzing of the site configuration [issue 14, fuzz; design principle 6 "config is
 * strict"]: the demo config with 1–3 mutations (a value replaced by a wrong type, an out-of-range
 * or huge number, a NaN-like string; a key removed; an unknown or reserved key added) and YAML files
 * (the same configs, damaged, alias bombs, random text). Every one is either a valid SiteConfig or
 * a GridpilotError listing each problem with its path — never another exception — and
 * `POST /api/config/validate`'s checker (checkSiteConfig) agrees and names a path for each problem.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value in `v` (objects and arrays included), as key lists. */
function pathsOf(v: Json, at: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) pathsOf(x, [...at, k], out);
  return out;
}

const nastyValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, -0, 1e308, -1e308, 5e-324, 2 ** 53 + 2, 'NaN', 'Infinity', '', ' ', '1e999', '-5', [], {}, [[[]]], { __proto__: 1 } as unknown as Json),
  fc.integer().map((n): Json => n),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n): Json => n),
  fc.string({ maxLength: 12 }).map((s): Json => s),
  fc.jsonValue({ maxDepth: 2 }).map((v) => v as Json),
);

const mutationArb = fc.record({
  pathIndex: fc.nat(),
  kind: fc.constantFrom('replace', 'replace', 'replace', 'delete', 'add-key', 'add-reserved'),
  value: nastyValue,
  key: fc.oneof(fc.constantFrom('extra', 'nodeid', 'ratedPowerW ', 'group', 'driver', '__proto__', 'constructor', 'prototype'), fc.string({ maxLength: 8 })),
});

function mutate(config: Json, mutations: ReadonlyArray<typeof mutationArb extends fc.Arbitrary<infer T> ? T : never>): Json {
  const root = JSON.parse(JSON.stringify(config)) as Json;
  for (const m of mutations) {
    const paths = pathsOf(root);
    const path = paths[m.pathIndex % paths.length] ?? [];
    if (path.length === 0) continue;
    const parent = path.slice(0, -1).reduce<Json>((v, k) => (v as Record<string, Json>)[k as string] ?? null, root);
    const last = path[path.length - 1] as string | number;
    if (parent === null || typeof parent !== 'object') continue;
    const target = parent as Record<string | number, Json>;
    if (m.kind === 'replace') target[last] = m.value;
    else if (m.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete target[last];
    } else if (!Array.isArray(parent)) {
      // A real own property named by the key (Object.defineProperty: `__proto__` too), as JSON.parse or YAML makes it.
      Object.defineProperty(target, m.kind === 'add-reserved' ? '__proto__' : m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    }
  }
  return root;
}

/** Resolves and checks the outcome: a config, or a GridpilotError whose problems each name a path. */
function assertConfigOrPathedError(load: () => unknown, input: unknown, what: string): 'ok' | 'refused' {
  try {
    load();
  } catch (err) {
    assert.ok(err instanceof GridpilotError, `${what}: threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} instead of a GridpilotError`);
    if (input !== undefined) {
      const check = checkSiteConfig(input);
      assert.equal(check.ok, false, `${what}: refused at load, accepted by the API's checker`);
      if (!check.ok) for (const e of check.errors) assert.ok(e.path.length > 0 && e.message.length > 0, `${what}: a problem without a path: ${JSON.stringify(e)}`);
    }
    return 'refused';
  }
  if (input !== undefined) assert.deepEqual(checkSiteConfig(input), { ok: true }, `${what}: loaded, refused by the API's checker`);
  return 'ok';
}

describe('fuzz: site configuration', () => {
  const demo = demoSiteConfig() as unknown as Json;

  it('a mutated config object is a valid site or refused with every problem named by its path', () => {
    const outcomes = { ok: 0, refused: 0 };
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (mutations) => {
        const input = mutate(demo, mutations);
        outcomes[assertConfigOrPathedError(() => resolveSiteConfig(input, 'site.yaml'), input, `config mutated by ${JSON.stringify(mutations)}`)]++;
      }),
      fuzzOptions(runs(3000)),
    );
    assert.ok(outcomes.ok > 0 && outcomes.refused > 0, JSON.stringify(outcomes));
  });

  it('a YAML or JSON config file (damaged, alias bombs, random text) loads or is refused with a GridpilotError', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gp-fuzz-cfg-'));
    const file = join(dir, 'site.yaml');
    const bomb = (n: number): string => ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: n }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n');
    const textArb = fc.oneof(
      { weight: 4, arbitrary: fc.tuple(fc.array(mutationArb, { maxLength: 2 }), fc.boolean()).map(([m, asJson]) => (asJson ? JSON.stringify(mutate(demo, m)) : stringifyYaml(mutate(demo, m)))) },
      { weight: 2, arbitrary: fc.tuple(fc.array(mutationArb, { maxLength: 1 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.string({ maxLength: 6 })).map(([m, cut, junk]) => { const y = stringifyYaml(mutate(demo, m)); const at = Math.floor(y.length * cut); return y.slice(0, at) + junk + y.slice(at); }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 9 }).map(bomb) },
      { weight: 1, arbitrary: fc.constantFrom('', '---', '- 1\n- 2', 'null', '42', '"x"', '{', 'a: b: c', '\uFEFFserial: x', '!!js/function "f"', 'x: !!binary AAAA', '? [a]\n: b', `${'['.repeat(3000)}${']'.repeat(3000)}`, '__proto__: {polluted: 1}') },
      { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    );
    try {
      fc.assert(
        fc.property(textArb, (text) => {
          writeFileSync(file, text);
          assertConfigOrPathedError(() => loadSiteConfigFile(file), undefined, `config file ${JSON.stringify(text.slice(0, 300))}`);
          assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype polluted');
        }),
        fuzzOptions(runs(1500)),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

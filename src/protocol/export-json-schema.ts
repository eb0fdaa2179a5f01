// `npm run schema`: writes the wire JSON Schemas to docs/schema/. `--check` fails when they differ.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { wireJsonSchemas } from './json-schema.ts';

const dir = new URL('../../docs/schema/', import.meta.url);
const check = process.argv.includes('--check');
let drift = false;
mkdirSync(dir, { recursive: true });
for (const [name, schema] of Object.entries(wireJsonSchemas())) {
  const text = `${JSON.stringify(schema, null, 2)}\n`;
  const file = new URL(name, dir);
  if (check) {
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // missing counts as drift
    }
    if (current !== text) {
      console.error(`docs/schema/${name} is out of date: run \`npm run schema\` and commit it`);
      drift = true;
    }
  } else {
    writeFileSync(file, text);
    console.log(`wrote docs/schema/${name}`);
  }
}
if (drift) process.exit(1);

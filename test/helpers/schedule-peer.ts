import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Feedback } from '../../src/protocol/feedback.ts';
import { demoSiteConfig } from '../../src/site/demo-site.ts';
import { publishForFeedback, type AppUnderTest } from './app-harness.ts';

/** A temporary directory removed by the returned `remove()`. */
export function tempDir(prefix = 'gp-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Writes the demo site with some overrides as a JSON config file; returns its path. */
export function writeDemoConfig(dir: string, overrides: Record<string, unknown>): string {
  const file = join(dir, 'site.json');
  writeFileSync(file, JSON.stringify({ ...demoSiteConfig(), ...overrides }));
  return file;
}

let seq = 0;

/**
 * Publishes a schedule message on the schedule topic and resolves with the feedback that answers
 * it. `time` is unique per message (milliseconds, which the controller accepts [live §3 decided]),
 * so the answer is matched exactly even when the fake clock stands still.
 */
export async function publishSchedule(t: AppUnderTest, body: Record<string, unknown>): Promise<Feedback> {
  seq += 1;
  const time = body.time ?? t.app.clock.now() - seq; // ms, unique, never in the future
  const message = { extraTags: { nodeId: t.app.info.siteNodeId }, ...body, time };
  const payload = typeof body.raw === 'string' ? body.raw : JSON.stringify(message);
  return publishForFeedback(t, t.app.info.topics.schedule, payload, typeof body.raw === 'string' ? null : time, 'schedule feedback');
}

export { until } from './until.ts';

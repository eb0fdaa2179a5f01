// Child process of bench/fleet-scale.ts (not a benchmark itself: run-all only runs bench/*.ts).
//   node --import tsx bench/lib/fleet-child.ts <brokerUrl> <sites> <feedbackIntervalS> [firstIndex]
// Runs `startFleet` (serials BEN000001 …) and answers 'sample' over IPC with its own CPU time
// (process.cpuUsage, µs) and RSS; 'stop' closes the fleet and exits.
import pino from 'pino';
import { systemClock } from '../../src/core/clock.ts';
import { startFleet } from '../../src/fleet/fleet.ts';
import { answerSamples } from './child-ipc.ts';

const [brokerUrl, sitesText, intervalText, firstText] = process.argv.slice(2);
if (!brokerUrl || !sitesText) throw new Error('usage: fleet-child.ts <brokerUrl> <sites> [feedbackIntervalS]');
const rss0 = process.memoryUsage.rss();
const t0 = performance.now();
const fleet = await startFleet({
  sites: Number(sitesText),
  firstIndex: Number(firstText ?? 1),
  serialPrefix: 'BEN',
  seed: 1,
  brokerUrl,
  protocolVersion: 4,
  feedbackIntervalS: Number(intervalText ?? 1),
  fallbackTimeoutS: 60,
  vppIds: [],
  clock: systemClock,
  logger: pino({ level: 'silent' }),
});
const startS = (performance.now() - t0) / 1000;
answerSamples(async () => fleet.close());
process.send?.({
  ready: true,
  started: fleet.sites.length,
  failed: fleet.failed.length,
  connected: fleet.sites.filter((s) => s.link.isConnected()).length,
  startS,
  rssBeforeBytes: rss0,
  serials: fleet.sites.map((s) => s.site.serial),
});

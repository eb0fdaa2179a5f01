import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSoak } from '../helpers/soak.ts';
import { tempDirMaker } from '../helpers/temp-dirs.ts';

/**
 * The soak in CI [issue 14, acceptance: soak], 2 simulated hours (bench/soak.ts runs the 24 h one
 * and reports it in docs/benchmarks.md): the real app with its store on a real mosquitto, a live
 * command every 2 simulated s, a device fault and a load or sky step every 10 simulated min (see
 * test/helpers/soak.ts). Memory is compared after a 30-minute warm-up, with a GC before each sample.
 */
const tempDir = tempDirMaker('gp-soak-');
const HOURS = Number(process.env['SOAK_HOURS'] ?? '2');

describe(`soak: ${HOURS} simulated hours of commands every 2 s with device faults`, () => {
  it('answers and logs every command, never leaves a grid limit exceeded for more than one cycle, and keeps its memory flat (RSS < +10 % after warm-up)', async () => {
    const r = await runSoak({ simulatedHours: HOURS, warmupHours: Math.min(0.5, HOURS / 4), dir: tempDir() });
    console.log(
      `# soak ${HOURS} h: ${r.cycles} cycles, ${r.commandsSent} commands, ${r.faultsInjected} faults, ${r.limitedCycles} cycles held back by a grid limit, ${r.violatingCycles} cycles over one (longest run ${r.longestViolationRun}, worst ${Math.round(r.worstViolationW)} W), RSS ${(r.rssGrowth * 100).toFixed(1)} %, heap ${(r.heapGrowth * 100).toFixed(1)} %, ${r.wallS.toFixed(0)} s`,
    );
    assert.equal(r.commandsAnswered, r.commandsSent, 'every command answered');
    assert.deepEqual([...r.commandsByCode.keys()], [0], `every command accepted: ${JSON.stringify([...r.commandsByCode])}`);
    assert.deepEqual(r.missingFromLog, [], 'every command is in the command log');
    assert.equal(r.loggedCommands, r.commandsSent);
    assert.ok(r.faultsInjected >= HOURS * 6 - 1, `${r.faultsInjected} faults injected`);
    assert.ok(r.limitedCycles > 0, 'the grid limits were in play');
    assert.ok(r.longestViolationRun <= 1, `a grid limit stayed exceeded for ${r.longestViolationRun} consecutive cycles (worst ${Math.round(r.worstViolationW)} W)`);
    assert.ok(r.rssGrowth < 0.1, `RSS grew ${(r.rssGrowth * 100).toFixed(1)} % after warm-up: ${JSON.stringify(r.samples)}`);
    assert.ok(r.heapGrowth < 0.1, `heap grew ${(r.heapGrowth * 100).toFixed(1)} % after warm-up: ${JSON.stringify(r.samples)}`);
  });
});

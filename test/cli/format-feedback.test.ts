import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeResponseCode, formatFeedback, formatStatus, isRejected } from '../../src/cli/format-feedback.ts';
import { FeedbackSchema } from '../../src/protocol/feedback.ts';
import { makeFeedback } from '../client/support/fake-controller.ts';

const SITE = 'OM12404080000000000_site_0';

describe('feedback pretty-printer', () => {
  it('shows the response code with its meaning, and every component with its executed policy and power', () => {
    const fb = makeFeedback({ requestTime: 1714652046, timeS: 1714652047, siteNodeId: SITE, fields: { storage_policy: 'setpoint', storage_power_setpoint_w: -5000 } });
    const text = formatFeedback(fb);
    const lines = text.split('\n');
    assert.equal(lines[0], `feedback  requestTime 1714652046  site ${SITE}  at 2024-05-02T12:14:07Z`);
    assert.match(lines[1] ?? '', /response_code 0 OK: command accepted and applied/);
    assert.match(text, /grid +\+1200 W \(import\) {2}limits import 25000 W \/ export 20000 W/);
    assert.match(text, /storage +setpoint +executed -5000 W {2}active -5000 W {2}SoC 60 % {2}\(2 devices\) {2}\[remote, watchdog 60 s\]/);
    assert.match(text, /solar +setpoint +executed 0 W .*\(1 device\)/);
    assert.match(text, /heat_pump +cost +executed 0 W {2}modes off/);
    assert.match(text, /switched_load +cost +executed 0 W {2}on 0 \/ off 1/);
    assert.match(text, /variable_load +passive +executed 0 W \(0 A\)/);
    assert.equal(isRejected(fb), false);
  });

  it('lists errors, device objects, constraints and the schedule summary', () => {
    const base = makeFeedback({ requestTime: 1, siteNodeId: SITE, responseCode: 12, errors: [{ field: 'fields.x_policy', message: 'unknown' }] });
    const fb = FeedbackSchema.parse({
      ...base,
      data: {
        ...base.data,
        schedule: { slots: 2, next_start: 1764115200, active_until: null },
        state: {
          ...base.data.state,
          grid: { ...base.data.state.grid, constraints: ['export limit clipped solar by 1200 W'] },
          OM12404080000000000_storage_1: { executed_policy: 'setpoint', executed_power_W: 2000, active_power_W: 1990 },
        },
      },
    });
    const text = formatFeedback(fb);
    assert.match(text, /response_code 12 UNKNOWN_FIELD: unknown component, field or device nodeId/);
    assert.match(text, /! fields\.x_policy: unknown/);
    assert.match(text, /↳ export limit clipped solar by 1200 W/);
    assert.match(text, /OM12404080000000000_storage_1\n +setpoint +executed \+2000 W {2}active \+1990 W/);
    assert.match(text, /schedule +2 slots {2}next start 2025-11-26T00:00:00Z {2}active until -/);
    assert.equal(isRejected(fb), true);
  });

  it('names unknown response codes as such', () => {
    assert.equal(describeResponseCode(99), '99 (not in the response_code table)');
    assert.match(describeResponseCode(15), /^15 BAD_TIME: time too old/);
  });

  it('prints status messages on one line', () => {
    assert.equal(formatStatus('gridpilot/status/X', { online: true }, Date.UTC(2024, 0, 1)), 'status    gridpilot/status/X  at 2024-01-01T00:00:00Z: {"online":true}');
    assert.match(formatStatus('t', 'offline'), /: offline$/);
  });
});

import { slotCountOf, slotRules, windowSlots, type PlanProblem } from './plan-problem.ts';
import type { Schedule } from './schedule.ts';

/**
 * The local default regime as a schedule, slot by slot, no look-ahead: it is both the baseline the
 * optimised plan is compared with and the safe fallback when the solver fails or times out.
 *
 * - Relay loads and heat pumps run on PV surplus (surplus ≥ rated power), and otherwise only when
 *   their need can no longer be met later ("must run": the slots left in the window are just enough);
 *   run-time rules always hold.
 * - EVs charge from surplus (at least the minimum power), and at full power once the remaining need
 *   fills the time to departure; a charger that cannot pause holds the minimum until the car is full.
 * - Batteries do self-consumption: charge from surplus, discharge to cover the load, within SoC and power.
 * - Solar is capped only to keep the export under the limit (feed_in_limitation).
 */
export function ruleBasedSchedule(p: PlanProblem): Schedule {
  const n = slotCountOf(p);
  const h = p.slotMs / 3_600_000;
  const schedule: Schedule = {
    storageW: p.storage.map(() => new Array<number>(n).fill(0)),
    solarW: p.solar.map((s) => s.availableW.slice()),
    onOff: p.onOff.map(() => new Array<boolean>(n).fill(false)),
    evW: p.evs.map(() => new Array<number>(n).fill(0)),
  };
  const energyWh = p.storage.map((b) => (b.socPct / 100) * b.capacityWh);
  const loads = p.onOff.map((a) => {
    const rules = slotRules(a, p.slotMs);
    return { a, rules, isOn: a.isOn, inState: Math.floor(a.stateForS / (p.slotMs / 1000) + 1e-9), windows: a.needs.map((w) => ({ ...windowSlots(p, w.fromMs, w.untilMs), leftWh: w.energyWh, maxWh: w.maxEnergyWh ?? Infinity })) };
  });
  const evs = p.evs.map((e) => ({ e, sessions: e.sessions.map((s) => ({ ...windowSlots(p, s.fromMs, s.untilMs), leftWh: s.energyWh })) }));

  for (let t = 0; t < n; t++) {
    const solarW = p.solar.reduce((sum, s) => sum + (s.availableW[t] ?? 0), 0);
    let surplusW = solarW - (p.baseLoadW[t] ?? 0);

    loads.forEach((l, k) => {
      const window = l.windows.find((w) => t >= w.first && t < w.last);
      const slotWh = l.a.ratedPowerW * h;
      const leftSlots = window ? Math.ceil(window.leftWh / slotWh - 1e-9) : 0;
      const mustRun = window !== undefined && leftSlots > 0 && leftSlots >= window.last - t;
      // On surplus: while the window still needs energy, or freely outside windows when the asset has no needs at all.
      const wantsSurplus = window ? window.leftWh > 0 && window.maxWh > 0 : l.a.needs.length === 0;
      let wantOn = mustRun || (surplusW >= l.a.ratedPowerW && wantsSurplus);
      if (l.isOn && l.inState < l.rules.minOn) wantOn = true;
      if (!l.isOn && l.inState < l.rules.minOff) wantOn = false;
      if (l.isOn && wantOn && l.inState >= l.rules.maxOn) wantOn = false;
      if (wantOn !== l.isOn) {
        l.isOn = wantOn;
        l.inState = 0;
      }
      l.inState += 1;
      const row = schedule.onOff[k];
      if (row) row[t] = l.isOn;
      if (l.isOn) {
        surplusW -= l.a.ratedPowerW;
        if (window) {
          window.leftWh -= slotWh;
          window.maxWh -= slotWh;
        }
      }
    });

    evs.forEach((ev, k) => {
      const session = ev.sessions.find((s) => t >= s.first && t < s.last);
      if (!session || session.leftWh <= 1) return;
      const { minPowerW, maxPowerW, canPause } = ev.e;
      const capW = Math.min(maxPowerW, session.leftWh / h);
      let w = 0;
      if (session.leftWh >= (session.last - t - 1) * maxPowerW * h) w = capW; // must charge now to make it
      else if (surplusW >= minPowerW) w = Math.min(capW, surplusW);
      if (!canPause) w = Math.max(w, Math.min(minPowerW, session.leftWh / h));
      if (w > 0 && w < minPowerW && canPause && session.leftWh / h >= minPowerW) w = 0;
      session.leftWh -= w * h;
      surplusW -= w;
      const row = schedule.evW[k];
      if (row) row[t] = w;
    });

    p.storage.forEach((b, i) => {
      const e = energyWh[i] ?? 0;
      const maxWh = (b.maxSocPct / 100) * b.capacityWh;
      const minWh = (b.minSocPct / 100) * b.capacityWh;
      let w = 0;
      if (surplusW > 0) w = Math.min(surplusW, b.maxChargeW, Math.max(0, (maxWh - e) / (h * b.efficiency)));
      else if (surplusW < 0) w = -Math.min(-surplusW, b.maxDischargeW, Math.max(0, ((e - minWh) * b.efficiency) / h));
      energyWh[i] = e + (w >= 0 ? w * h * b.efficiency : (w * h) / b.efficiency);
      surplusW -= w;
      const row = schedule.storageW[i];
      if (row) row[t] = w;
    });

    // feed_in_limitation: cap solar only as far as the export limit needs, curtailable inverters in turn.
    let overW = surplusW - p.exportLimitW;
    p.solar.forEach((s, j) => {
      if (overW <= 0 || s.canCurtail === false) return;
      const row = schedule.solarW[j];
      const cut = Math.min(overW, row?.[t] ?? 0);
      if (row) row[t] = (row[t] ?? 0) - cut;
      overW -= cut;
    });
  }
  return schedule;
}

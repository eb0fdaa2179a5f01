import { z } from 'zod';

/**
 * The feedback message [live §4]. Field names are the wire's, byte for byte.
 * Signs: grid + import; storage + charge; solar + production; loads + consumption.
 * Extensions [live §4 decided]: `data.errors`, `active_signal`, `watchdog_s`, `data.schedule`,
 * `data.plan` (the `cost` policy's plan), and one object per device addressed by nodeId.
 */
const num = z.number();

export const ActiveSignalSchema = z.enum(['remote', 'schedule', 'local']);
export type ActiveSignal = z.infer<typeof ActiveSignalSchema>;

/** Extension fields present on every group object. */
const signalExtension = {
  active_signal: ActiveSignalSchema.optional(),
  /** Seconds until the watchdog returns this component to its default; absent when no remote command drives it. */
  watchdog_s: num.optional(),
  /** Human-readable active constraints, e.g. "export limit clipped storage by 1200 W". */
  constraints: z.array(z.string()).optional(),
  /** nodeIds of the group's devices that did not answer this cycle (not driven; `nr_devices` counts the others). */
  offline_devices: z.array(z.string()).optional(),
};

export const GridStateSchema = z.object({
  active_power_W: num,
  today_imported_energy_Wh: num,
  today_exported_energy_Wh: num,
  import_limit_W: num,
  export_limit_W: num,
  /** The grid meter does not answer since this Unix time, s: the site is not driven (devices keep their last setpoints). */
  meter_offline_since: num.optional(),
  ...signalExtension,
});

export const StorageStateSchema = z.object({
  energy_stored_Wh: num,
  energy_capacity_Wh: num,
  mean_soc_perc: num,
  active_power_W: num,
  executed_power_W: num,
  executed_policy: z.string(),
  max_charge_power_W: num,
  max_discharge_power_W: num,
  today_charged_Wh: num,
  today_discharged_Wh: num,
  nr_devices: num,
  ...signalExtension,
});

export const SolarStateSchema = z.object({
  active_power_W: num,
  executed_power_W: num,
  executed_policy: z.string(),
  capacity_W: num,
  today_energy_Wh: num,
  /** Extension: share of today's PV energy used on site, %. */
  today_self_consumption_perc: num.optional(),
  nr_devices: num,
  ...signalExtension,
});

export const HeatPumpStateSchema = z.object({
  executed_policy: z.string(),
  operation_modes: z.array(z.string()),
  executed_power_W: num,
  nr_devices: num,
  ...signalExtension,
});

export const SwitchedLoadStateSchema = z.object({
  executed_policy: z.string(),
  devices_on: num,
  devices_off: num,
  executed_power_W: num,
  nr_devices: num,
  ...signalExtension,
});

export const VariableLoadStateSchema = z.object({
  executed_policy: z.string(),
  executed_power_W: num,
  active_power_W: num,
  ev_requiring_charge: z.boolean(),
  currentL1_A: num,
  currentL2_A: num,
  currentL3_A: num,
  executed_current_A: num,
  today_charged_Wh: num,
  today_discharged_Wh: num,
  total_charged_Wh: num,
  total_discharged_Wh: num,
  min_charge_current_A: num,
  max_charge_current_A: num,
  allow_zero_current: z.boolean(),
  ...signalExtension,
});

export const ScheduleSummarySchema = z.object({
  slots: num,
  next_start: num.nullable(),
  active_until: num.nullable(),
});

/** One slot of the day-ahead plan (units in names; grid + import, storage + charge). */
export const PlanSlotSummarySchema = z.object({
  /** Slot start, Unix s. */
  start: num,
  import_eur_kwh: num,
  export_eur_kwh: num,
  /** Planned grid power, W. */
  grid_W: num,
  /** Planned power of all batteries, W. */
  storage_W: num,
  /** Planned mean SoC at the slot's end, %; null without batteries. */
  soc_perc: num.nullable(),
});

/**
 * `data.plan` [decided extension]: what the `cost` policy follows. Present only while some component
 * or device executes `cost`. The whole plan is `GET /api/plan` (docs/optimizer.md).
 */
export const PlanSummarySchema = z.object({
  /** optimal · time_limit (best plan found in time) · fallback (rule-based) · none (no plan: `message` says why). */
  status: z.enum(['optimal', 'time_limit', 'fallback', 'none']),
  message: z.string().optional(),
  /** When the plan was made, Unix s; null without one. */
  planned_at: num.nullable(),
  /** The slot in force, with the planned solar power and one reason per component under `cost`. */
  slot: PlanSlotSummarySchema.extend({ solar_W: num, reasons: z.record(z.string(), z.string()) }).nullable(),
  /** The next (up to) 4 slots. */
  next_slots: z.array(PlanSlotSummarySchema),
  /** Where the executor departed from the plan this cycle (forecast errors), in words. */
  adjustments: z.array(z.string()).optional(),
  /** Expected saving over the local default regime (self_consumption) today, EUR; null without a plan. */
  expected_saving_eur_today: num.nullable(),
});

export const FeedbackStateSchema = z
  .object({
    vpp_id: z.string(),
    grid: GridStateSchema,
    storage: StorageStateSchema,
    solar: SolarStateSchema,
    heat_pump: HeatPumpStateSchema,
    switched_load: SwitchedLoadStateSchema,
    variable_load: VariableLoadStateSchema,
  })
  // Device objects keyed by nodeId, present when a command addressed devices [live §4].
  .catchall(z.unknown());

export const FeedbackSchema = z.object({
  time: num,
  requestTime: z.union([num, z.string(), z.null()]),
  siteNodeId: z.string(),
  fields: z.record(z.string(), z.unknown()),
  data: z.object({
    response_code: num,
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    state: FeedbackStateSchema,
    schedule: ScheduleSummarySchema.optional(),
    plan: PlanSummarySchema.optional(),
  }),
});

export type Feedback = z.infer<typeof FeedbackSchema>;
export type FeedbackState = z.infer<typeof FeedbackStateSchema>;
export type GridState = z.infer<typeof GridStateSchema>;
export type StorageState = z.infer<typeof StorageStateSchema>;
export type SolarState = z.infer<typeof SolarStateSchema>;
export type HeatPumpState = z.infer<typeof HeatPumpStateSchema>;
export type SwitchedLoadState = z.infer<typeof SwitchedLoadStateSchema>;
export type VariableLoadState = z.infer<typeof VariableLoadStateSchema>;
export type ScheduleSummary = z.infer<typeof ScheduleSummarySchema>;
export type PlanSummary = z.infer<typeof PlanSummarySchema>;

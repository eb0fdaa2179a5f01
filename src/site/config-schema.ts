import { z } from 'zod';
import { parseCidr } from '../core/cidr.ts';
import { BrokerLimitsSchema, WsAllowedOriginsSchema } from './broker-limits-schema.ts';
import { POLICIES_BY_COMPONENT } from '../protocol/policies.ts';
import { ModbusDriverSchema } from '../devices/drivers/modbus/config.ts';
import { OcppDriverSchema, OcppServerSchema } from '../devices/drivers/ocpp/config.ts';
import { SunSpecDriverSchema } from '../devices/drivers/sunspec/config.ts';

/**
 * The site configuration: strict (unknown keys fail with their path), units in every name.
 * Sign conventions are the wire's: grid + import, storage + charge, solar + production,
 * loads + consumption.
 */

const W = z.number().finite();
const posW = W.positive();
const nonNegW = W.nonnegative();
const seconds = z.number().finite().nonnegative();
const nodeId = z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'nodeId may hold letters, digits and _ . : - only');

/**
 * How a device is reached: `simulated` (the built-in simulator, the default), `sunspec` (SunSpec over
 * Modbus TCP), `modbus` (a register map in the config), `ocpp` (an EV charger connecting to the
 * OCPP central system). Which groups each can drive is checked in site-config.ts.
 */
const SimulatedDriver = z.strictObject({ type: z.literal('simulated') });
export const DriverSchema = z.discriminatedUnion('type', [SimulatedDriver, SunSpecDriverSchema, ModbusDriverSchema, OcppDriverSchema]);
const Driver = DriverSchema.default({ type: 'simulated' });

/** IANA time zone name, checked against the platform's time-zone database. */
const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone such as Europe/Brussels, Europe/Lisbon or America/New_York' },
);

const common = {
  /** Device nodeId [live §3.2]; default `<SN>_<group>_<n>` with n counted from 0 per group. */
  nodeId: nodeId.optional(),
  name: z.string().optional(),
  driver: Driver,
};

export const SolarDeviceSchema = z.strictObject({
  ...common,
  group: z.literal('solar'),
  /** Inverter AC rating, W (the curtailment cap never exceeds it). */
  ratedPowerW: posW,
  /** Simulator: DC peak power of the panels, W; default = ratedPowerW. */
  peakPowerW: posW.optional(),
});

export const StorageDeviceSchema = z.strictObject({
  ...common,
  group: z.literal('storage'),
  capacityWh: posW,
  maxChargeW: posW,
  maxDischargeW: posW,
  /** SoC the controller never discharges below, %. Default 5. */
  minSocPct: z.number().min(0).max(100).default(5),
  /** SoC the controller never charges above, %. Default 100. */
  maxSocPct: z.number().min(0).max(100).default(100),
  /** Energy kept back for backup: self_consumption does not discharge below it, %. Default 0 (= minSocPct). */
  reserveSocPct: z.number().min(0).max(100).default(0),
  /** One-way efficiency, 0–1 (charge and discharge each). Default 0.95. */
  efficiency: z.number().gt(0).max(1).default(0.95),
  /** Simulator: SoC at start, %. Default 50. */
  initialSocPct: z.number().min(0).max(100).default(50),
});

const runTimes = {
  /** Minimum time on once started, s. Always respected [live §3.1]. */
  minOnS: seconds.default(0),
  /** Minimum time off once stopped, s. Always respected. */
  minOffS: seconds.default(0),
  /** Maximum continuous run, s; 0 = no limit. */
  maxOnS: seconds.default(0),
  /** Maximum starts in any 60-minute window; 0 = no limit. */
  maxStartsPerHour: z.number().int().nonnegative().default(0),
  /** self_consumption: switch on when surplus ≥ ratedPowerW + this, W. Default 0. */
  surplusThresholdW: nonNegW.default(0),
  /** self_consumption: switch off when the site imports more than this, W. Default 100. */
  hysteresisW: nonNegW.default(100),
};

export const HeatPumpDeviceSchema = z.strictObject({
  ...common,
  group: z.literal('heat_pump'),
  ratedPowerW: posW,
  ...runTimes,
});

export const SwitchedLoadDeviceSchema = z.strictObject({
  ...common,
  group: z.literal('switched_load'),
  ratedPowerW: posW,
  ...runTimes,
});

export const EvChargerDeviceSchema = z.strictObject({
  ...common,
  group: z.literal('variable_power_load'),
  /** Phases wired to the charger. */
  phases: z.union([z.literal(1), z.literal(3)]).default(3),
  /** Can switch between 1 and 3 phases while charging. */
  canSwitchPhases: z.boolean().default(false),
  /** Minimum time between two phase switches, s. Default 300. */
  phaseSwitchDwellS: seconds.default(300),
  minCurrentA: z.number().positive().default(6),
  maxCurrentA: z.number().positive().default(16),
  /** self_consumption: `pv` charges from PV surplus only; `min_pv` charges at least the minimum current, plus surplus. Default pv. */
  surplusMode: z.enum(['pv', 'min_pv']).default('pv'),
  /** The charger may be paused at 0 A (else it holds at least the minimum while a car charges). */
  allowZeroCurrent: z.boolean().default(true),
  voltageV: z.number().positive().default(230),
  /**
   * What the optimiser (the `cost` policy) assumes about a plugged-in car where the charger does not
   * tell (an OCPP charger knows the plug-in time only): it leaves at `departureTime` (local, the site's
   * time zone; the first one after plug-in still ahead) and wants `energyWh` in that visit (less what
   * it already took). Absent = no assumption: a car whose departure or need nobody knows is not planned.
   */
  session: z
    .strictObject({
      /** Usual departure, local wall time HH:MM (24 h), e.g. "07:30". */
      departureTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time HH:MM (00:00–23:59), e.g. "07:30"').optional(),
      /** AC energy a car usually wants per visit, Wh > 0. */
      energyWh: z.number().finite().positive().optional(),
    })
    .optional(),
});

export const DeviceSchema = z.discriminatedUnion('group', [
  SolarDeviceSchema,
  StorageDeviceSchema,
  HeatPumpDeviceSchema,
  SwitchedLoadDeviceSchema,
  EvChargerDeviceSchema,
]);

const policyFor = <C extends keyof typeof POLICIES_BY_COMPONENT>(component: C, fallback: (typeof POLICIES_BY_COMPONENT)[C][number]) =>
  z.enum(POLICIES_BY_COMPONENT[component] as unknown as [string, ...string[]]).default(fallback);

/** An address or CIDR block (`192.168.1.0/24`, `::1`, `fd00::/8`). */
const cidrText = z.string().superRefine((text, ctx) => {
  try {
    parseCidr(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

export const SiteConfigSchema = z.strictObject({
  /** Controller serial number, e.g. OM12404080000000000 (topics end in it). */
  serial: z.string().regex(/^[A-Za-z0-9_-]+$/, 'serial may hold letters, digits, _ and - only'),
  /** Default `<serial>_site_0`. */
  siteNodeId: nodeId.optional(),
  /** Where the site is: its clear sky (PV forecasts) and its local time (days, hours, the UI). Default Brussels. */
  location: z
    .strictObject({
      /** Degrees north, −90…90. Default 50.85. */
      latitude: z.number().min(-90).max(90).default(50.85),
      /** Degrees east, −180…180. Default 4.35. */
      longitude: z.number().min(-180).max(180).default(4.35),
      /** IANA time zone the site's days and hours are counted in. Default Europe/Brussels. */
      timeZone: timeZone.default('Europe/Brussels'),
    })
    .prefault({}),
  grid: z
    .strictObject({
      /** Largest allowed import, W (contract or connection). */
      importLimitW: posW,
      /** Largest allowed export, W (configured hard limit; a remote `limit` can only lower it). */
      exportLimitW: nonNegW,
      /** Main fuse, A per phase; with phases and voltage it caps import (and export). */
      mainFuseA: z.number().positive().optional(),
      phases: z.union([z.literal(1), z.literal(3)]).default(3),
      voltageV: z.number().positive().default(230),
      /** Kept free below every limit, W. Default 100. */
      safetyMarginW: nonNegW.default(100),
      /**
       * The meter at the connection point, W + import: `simulated` (balances the simulated devices;
       * only when every device is simulated), `sunspec` (models 201–204) or `modbus`. Default simulated.
       */
      meter: z.strictObject({ driver: Driver }).prefault({}),
    })
    .prefault({ importLimitW: 17_000, exportLimitW: 10_000 }),
  control: z
    .strictObject({
      /** Periodic cycle, ms (commands also trigger a cycle at once). Default 1000. */
      cycleMs: z.number().int().min(50).max(60_000).default(1000),
      /** self_consumption aims at zero grid exchange; an import up to this is corrected only once it persisted 30 s (export at once), W. Default 50. */
      deadbandW: nonNegW.default(50),
      /** Below this mean SoC, PV surplus fills the batteries before surplus loads (relays, heat pumps, EVs) get it, %. Default 0 (loads first). */
      batteryPrioritySocPct: z.number().min(0).max(100).default(0),
      /** Device read timeout within a cycle, ms. Default 500. */
      readTimeoutMs: z.number().int().positive().default(500),
      /** A device write that has not finished after this is abandoned and reported (it never stalls the cycle), ms. Default 1000. */
      writeTimeoutMs: z.number().int().positive().max(60_000).default(1000),
    })
    .prefault({}),
  remoteSignal: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Reported as state.vpp_id; leave empty as the original advises. */
      vppId: z.string().default(''),
      /** Watchdog: seconds without a command before every component returns to its default [live §3.3 rule 2]. */
      fallbackTimeoutS: z.number().positive().max(86_400).default(60),
      /** Oldest accepted command `time`, s; default = fallbackTimeoutS [live §3.3 rule 7]. */
      maxCommandAgeS: z.number().positive().optional(),
      /** Furthest accepted `time` in the future, s. Default 300. */
      maxFutureS: z.number().nonnegative().default(300),
      /** Devices included in remote control: "all" or a list of nodeIds. */
      includedDevices: z.union([z.literal('all'), z.array(nodeId)]).default('all'),
      /** Also publish feedback every N s; 0 = only after commands. Default 0. */
      feedbackIntervalS: seconds.default(0),
    })
    .prefault({}),
  mqtt: z
    .strictObject({
      /** External broker, e.g. mqtt://host:1883, mqtts://host:8883, ws://host/mqtt; absent = the embedded broker. */
      brokerUrl: z.string().optional(),
      username: z.string().optional(),
      password: z.string().optional(),
      clientId: z.string().optional(),
      /** 3 = MQTT 3.1, 4 = 3.1.1, 5 = 5.0. Default 4. */
      protocolVersion: z.union([z.literal(3), z.literal(4), z.literal(5)]).default(4),
      /** TLS files (PEM paths) for mqtts/wss. */
      caFile: z.string().optional(),
      certFile: z.string().optional(),
      keyFile: z.string().optional(),
      rejectUnauthorized: z.boolean().default(true),
      /** Longest wait between reconnection attempts, ms, 100–300 000 (the wait doubles from 250 ms up to it, ±30 % jitter). Default 1500: back within 2 s of the broker's return. */
      reconnectMaxMs: z.number().int().min(100).max(300_000).default(1500),
      topicPrefixes: z
        .strictObject({ command: z.string().min(1), feedback: z.string().min(1), schedule: z.string().min(1), status: z.string().min(1), prices: z.string().min(1) })
        .partial()
        .default({}),
      embedded: z
        .strictObject({
          /** TCP port of the embedded broker; 0 = any free port. Default 1883. */
          port: z.number().int().min(0).max(65_535).default(1883),
          /** MQTT over WebSocket (path /mqtt); null = off. Default 8083 [live §1: the vendor uses 80]. */
          wsPort: z.number().int().min(0).max(65_535).nullable().default(8083),
          /** Bind address. Default loopback. */
          host: z.string().default('127.0.0.1'),
          /**
           * Which broker: 'mosquitto' (Debian's mosquitto 2, run and supervised by gridpilot: MQTT 3.1, 3.1.1 and 5),
           * 'aedes' (in-process: MQTT 3.1 and 3.1.1 only), 'auto' (mosquitto where it is installed, else aedes). Default 'auto'.
           */
          engine: z.enum(['auto', 'mosquitto', 'aedes']).default('auto'),
          /** The mosquitto executable. Default: /usr/sbin/mosquitto, /usr/local/sbin/mosquitto, then PATH. */
          mosquittoPath: z.string().min(1).optional(),
          /** Largest MQTT packet the broker accepts, bytes, 1 KiB–256 MiB. Default 16 MiB (bounded memory; the controller itself answers anything over its own 64 KiB command limit with code 11, which needs the message delivered). */
          maxPacketBytes: z.number().int().min(1024).max(268_435_456).default(16_777_216),
          /** aedes only: a denied MQTT 3.1.1 publish closes the connection ('disconnect' [MQTT-3.3.5-2]) or is dropped ('drop'). 3.1: always dropped; mosquitto: always dropped. Default 'disconnect'. */
          deniedPublish311: z.enum(['disconnect', 'drop']).default('disconnect'),
          /**
           * MQTT over TLS (mqtts://) and, with wssPort, secure WebSocket at /mqtt; absent = off. The files
           * are PEM, checked at start (an error names the key and the file). caFile: client certificates
           * (optional for clients) verified against it log the account whose certCn is their CN in
           * without a password — aedes engine only; mosquitto takes passwords only on TLS.
           */
          tls: z
            .strictObject({
              /** mqtts:// port; 0 = any free port. Default 8883. */
              port: z.number().int().min(0).max(65_535).default(8883),
              certFile: z.string().min(1),
              keyFile: z.string().min(1),
              caFile: z.string().min(1).optional(),
              /** Secure WebSocket (path /mqtt); null = off. Default null. */
              wssPort: z.number().int().min(0).max(65_535).nullable().default(null),
            })
            .optional(),
          /**
           * Web pages (origins, `https://host[:port]`) allowed to use MQTT over WebSocket. A WebSocket handshake that carries an
           * `Origin` header not listed gets HTTP 403 — so by default no web page can reach the broker through its visitor's browser;
           * clients that send no Origin (MQTT libraries, mosquitto_pub, paho) are not affected. Default none.
           */
          wsAllowedOrigins: WsAllowedOriginsSchema,
          /** Abuse limits of the broker's listeners (not the controller's own link); docs/operations.md "Abuse limits". */
          limits: BrokerLimitsSchema.prefault({}),
        })
        .superRefine((e, ctx) => {
          // Two listeners on one port cannot both bind; 0 (a free port each) may repeat.
          const ports: Array<[string, number | null | undefined]> = [['port', e.port], ['wsPort', e.wsPort], ['tls.port', e.tls?.port], ['tls.wssPort', e.tls?.wssPort]];
          const seen = new Map<number, string>();
          for (const [key, port] of ports) {
            if (port === null || port === undefined || port === 0) continue;
            const other = seen.get(port);
            if (other !== undefined) ctx.addIssue({ code: 'custom', path: key.split('.'), message: `port ${port} is already ${other}'s` });
            else seen.set(port, key);
          }
        })
        .prefault({}),
    })
    .prefault({}),
  /** Each component's local default policy, used at start, after the watchdog and after `fallback`. */
  defaults: z
    .strictObject({
      solar: policyFor('solar', 'feed_in_limitation'),
      storage: policyFor('storage', 'self_consumption'),
      heat_pump: policyFor('heat_pump', 'self_consumption'),
      switched_load: policyFor('switched_load', 'self_consumption'),
      variable_power_load: policyFor('variable_power_load', 'self_consumption'),
    })
    .prefault({}),
  devices: z.array(DeviceSchema).default([]),
  /** The OCPP central system EV chargers with `driver: { type: ocpp }` connect to (started only when one is configured). */
  ocpp: OcppServerSchema.prefault({}),
  /** The day-ahead optimiser behind the `cost` policy (docs/optimizer.md). */
  optimizer: z
    .strictObject({
      /** Re-plan at least this often, s (also at once when prices or forecasts are updated). Default 900 (15 min). */
      replanIntervalS: z.number().int().min(60).max(86_400).default(900),
      /** Longest planning horizon, h (a plan also ends where the known prices end). Default and at most 48. */
      horizonH: z.number().positive().max(48).default(48),
      /** Longest wait for one plan, ms; past it the rule-based plan is used (status fallback). Default 5000. */
      planTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
      /**
       * After a fast plan that is not proven within 0.5 % of the optimum (the decomposition's heuristic, on sites
       * with heat pumps, relays or EVs), the planner spends up to this long, ms, proving one with the exact MILP
       * (or finding a cheaper one), within planTimeoutMs; the fast plan runs meanwhile. 0 = off. Default 3000.
       */
      planProofMs: z.number().int().min(0).max(60_000).default(3000),
      /** Battery wear cost per kWh in and per kWh out, EUR/kWh ≥ 0: keeps the battery idle when a spread does not pay for it. Default 0.02. */
      batteryWearEurPerKwh: z.number().finite().nonnegative().default(0.02),
      /**
       * Day-ahead prices: 'bundled' (the Belgian 2024–2025 file in data/, replayed by calendar date outside its span),
       * a price file path (CSV in the bundled format, or JSON), 'entsoe' (the ENTSO-E transparency API, see `entsoe`),
       * or 'pushed' (only prices sent over MQTT). Prices pushed over MQTT override any source for the slots they cover.
       * Default 'bundled'.
       */
      prices: z.string().min(1).default('bundled'),
      /** The ENTSO-E transparency platform (prices: 'entsoe'): the user's security token and the bidding zone. */
      entsoe: z
        .strictObject({
          /** The API security token (transparency.entsoe.eu → My Account Settings). Never logged; redacted in the API. */
          securityToken: z.string().min(8, 'must be the ENTSO-E security token (36 characters)'),
          /** Bidding zone EIC. Default Belgium, 10YBE----------2. */
          biddingZoneEic: z.string().regex(/^[0-9A-Z-]{16}$/, 'must be a 16-character EIC code such as 10YBE----------2').default('10YBE----------2'),
          /** API base URL. Default https://web-api.tp.entsoe.eu/api. */
          baseUrl: z.url({ protocol: /^https?$/ }).optional(),
        })
        .optional(),
      /**
       * PV forecast: 'open-meteo' (the Open-Meteo weather service's irradiance forecast for the place in `openMeteo`:
       * the one for a real site), 'weather' (the simulated site's weather taken as the forecast: a perfect forecast,
       * for demos), 'persistence' (the measured past sky, with the published prices' midday dip as its prior:
       * PriceInformedPvForecast; the sky is the one the site's own PV measured), 'clear-sky'. Without a simulated
       * weather, 'weather' falls back to 'clear-sky' × 0.55. 'elia' (Belgium): the Belgian grid operator Elia's
       * day-ahead PV forecasts (open data, the region in `elia`), calibrated to the site's own PV: the best honest
       * forecast of the backtest (docs/backtest.md). Default 'weather'.
       */
      pvForecast: z.enum(['weather', 'persistence', 'clear-sky', 'open-meteo', 'elia']).default('weather'),
      /** Elia's open data (pvForecast: 'elia'). Absent = defaults. Free, no key. */
      elia: z
        .strictObject({
          /** Elia's region: Belgium, Flanders, Wallonia, Brussels or a province (as the data set names it). Default Belgium. */
          region: z.string().min(1).max(64).default('Belgium'),
          /** The data set: ods087 (near real time, today and the coming days). Default ods087. */
          dataset: z.string().regex(/^ods\d{3}$/, 'must be an Elia data set id such as ods087').default('ods087'),
          /** Fetch this often, min, 15–1440. Default 60 (Elia publishes at 11:00 and 18:00 Brussels time). */
          refreshMin: z.number().int().min(15).max(1440).default(60),
          /** API URL. Default https://opendata.elia.be/api/explore/v2.1. */
          baseUrl: z.url({ protocol: /^https?$/ }).optional(),
        })
        .optional(),
      /** The Open-Meteo forecast API (pvForecast: 'open-meteo'): where the panels are. Free, no key. Absent = defaults (the site's location). */
      openMeteo: z
        .strictObject({
          /** Latitude of the panels, degrees north, −90…90. Default: location.latitude. */
          latitude: z.number().min(-90).max(90).optional(),
          /** Longitude of the panels, degrees east, −180…180. Default: location.longitude. */
          longitude: z.number().min(-180).max(180).optional(),
          /**
           * The panels' plane: the forecast is then the irradiance on it (Open-Meteo's global_tilted_irradiance) instead
           * of the horizontal GHI. Tilt from horizontal 0–90°, azimuth 0 south, −90 east, 90 west, ±180 north.
           */
          panels: z.strictObject({ tiltDeg: z.number().min(0).max(90), azimuthDeg: z.number().min(-180).max(180) }).optional(),
          /** Fetch a new forecast this often, min, 15–1440. Default 60. */
          refreshMin: z.number().int().min(15).max(1440).default(60),
          /** API URL. Default https://api.open-meteo.com/v1/forecast (a self-hosted Open-Meteo or a commercial endpoint may replace it). */
          baseUrl: z.url({ protocol: /^https?$/ }).optional(),
        })
        .optional(),
      /**
       * Household consumption per year the load forecast assumes until the site's own history takes
       * over (the standard profile, shaped in the site's local time, answers every slot with no recorded
       * week behind it), kWh ≥ 0. Default 4000. (simulation.annualLoadKWh sizes the simulator's household only.)
       */
      annualLoadKWh: nonNegW.default(4000),
      /** Weeks of the site's own base-load history the load forecast averages, 1–12. Default 4. */
      loadHistoryWeeks: z.number().int().min(1).max(12).default(4),
      /** The supply contract: spot (EUR/MWh) → EUR/kWh paid and earned. Defaults: a Belgian dynamic contract. */
      tariff: z
        .strictObject({
          /** Offtake EUR/kWh = offtakeSpotFactor × spot/1000 + offtakeAdderEurPerKwh. Default 1.0. */
          offtakeSpotFactor: z.number().finite().default(1),
          /** Network, levies, margin per imported kWh, EUR/kWh. Default 0.12. */
          offtakeAdderEurPerKwh: z.number().finite().default(0.12),
          /** Injection EUR/kWh = injectionSpotFactor × spot/1000 − injectionFeeEurPerKwh. Default 1.0. */
          injectionSpotFactor: z.number().finite().default(1),
          /** Supplier fee per exported kWh, EUR/kWh. Default 0.01. */
          injectionFeeEurPerKwh: z.number().finite().default(0.01),
          /** Fixed fees, EUR/day (no effect on decisions). Default 0.40. */
          fixedFeesEurPerDay: z.number().finite().nonnegative().default(0.4),
        })
        .prefault({}),
    })
    .prefault({}),
  /** The web UI and HTTP API (its port: `gridpilot start --http-port`), and who may read /metrics and /healthz. */
  web: z
    .strictObject({
      /**
       * Bind address. Default 127.0.0.1 (loopback). Every API route needs a login; another address
       * makes the login page reachable from that network (docs/operations.md § Web login).
       */
      host: z.string().min(1).default('127.0.0.1'),
      /**
       * Peers allowed to read /metrics and /healthz (no session needed): IPv4/IPv6 addresses or CIDR
       * blocks, matched against the TCP peer's address (never a forwarded-for header). Others get 403.
       * Default loopback only: ['127.0.0.0/8', '::1'].
       */
      metricsAllow: z.array(cidrText).default(['127.0.0.0/8', '::1']),
    })
    .prefault({}),
  /** How long the store keeps history (in the data directory's database; pruned every 6 h). */
  history: z
    .strictObject({
      /** 1-minute averages (the web charts' day and week views), days. Default 90. */
      minuteDays: z.number().int().min(1).max(3650).default(90),
      /** 15-minute averages (month and year views), days. Default 730 (2 years). */
      quarterDays: z.number().int().min(1).max(36500).default(730),
      /** Command log (every command, answer and pushed price message), days. Default 90. */
      commandLogDays: z.number().int().min(1).max(3650).default(90),
      /** Command log entries kept at most (the oldest go first), whatever their age: the log's size bound (~1 KiB each, 8 KiB at most). Default 500,000. */
      commandLogMaxEntries: z.number().int().min(1000).max(100_000_000).default(500_000),
    })
    .prefault({}),
  /** The simulated world the simulated devices live in. */
  simulation: z
    .strictObject({
      /** The simulated household's consumption per year, kWh, shaped by a standard daily profile. Default 4000. (The optimiser's own is optimizer.annualLoadKWh.) */
      annualLoadKWh: nonNegW.default(4000),
      /** Hourly weather CSV (shortwave_radiation column); default: the bundled Belgian data; "clear-sky" for a model. */
      weatherCsv: z.string().default('bundled'),
      /** Seed for the load noise, so runs repeat. Default 1. */
      seed: z.number().int().default(1),
    })
    .prefault({}),
});

export type SiteConfigInput = z.input<typeof SiteConfigSchema>;
export type SiteConfigParsed = z.output<typeof SiteConfigSchema>;
export type DeviceConfigParsed = z.output<typeof DeviceSchema>;

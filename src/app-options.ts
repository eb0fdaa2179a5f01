import type { SiteConfig } from './site/site-config.ts';
import type { Clock } from './core/clock.ts';
import type { PriceReplay } from './optimizer/prices/price-provider.ts';

/** Options of `startApp` (the composition root) — what `gridpilot start` flags map to. */
export interface AppOptions {
  /** YAML/JSON site config path; absent = the demo site. */
  configPath?: string;
  /** Overrides the config's serial. */
  serial?: string;
  /** Embedded broker TCP port (0 = any free port). Default: config (1883). */
  brokerPort?: number;
  /** Embedded broker WebSocket port, path /mqtt (0 = any free port, null = off). Default: config (8083). */
  wsPort?: number | null;
  /** Web UI / HTTP API port (0 = any free port, null = off). Default 8080. */
  httpPort?: number | null;
  /** Overrides remoteSignal.fallbackTimeoutS. */
  fallbackTimeoutS?: number;
  /** Simulated seconds per real second. Default 1. */
  speed?: number;
  /** Simulated clock start, Unix ms. Default: now. */
  simStartMs?: number;
  /** Use this broker instead of the embedded one (mqtt://, mqtts://, ws://, wss://). */
  brokerUrl?: string;
  /**
   * Data directory of the SQLite store (site config revisions, the schedule, the command log,
   * telemetry history), created if missing. Absent = nothing persisted: the schedule lives in
   * memory only and there is no command log. `gridpilot start` defaults it to `./.gridpilot`.
   */
  dataDir?: string;
  /** pino level; default 'info'. 'silent' in tests. */
  logLevel?: string;
  /** Where the JSON log lines go (anything with `write(line)`); default stdout. Tests read them here. */
  logDestination?: { write(line: string): void };
  /**
   * Runs the site's devices behind protocol-level simulators (devices/simulators/protocol-site.ts):
   * PV, batteries and the grid meter as SunSpec Modbus TCP servers, EV chargers as OCPP charge
   * points; the controller reaches them through its real sunspec and ocpp drivers.
   */
  protocolSim?: { ocppVersion: '1.6' | '2.0.1' };
  /** Inject a clock (tests use FakeClock); overrides speed/simStartMs. */
  clock?: Clock;
}

/** What `startApp` returns: enough for the CLI to print how to send a first command, and to stop. */
export interface RunningAppInfo {
  serial: string;
  siteNodeId: string;
  /** mqtt://host:port the controller uses (embedded or external). */
  brokerUrl: string;
  /** Whether the controller started its own broker; false = an external one. */
  isEmbeddedBroker: boolean;
  /** The controller's own broker: which one and the MQTT levels it speaks (3 = 3.1, 4 = 3.1.1, 5); null with an external one. */
  localBroker?: { engine: 'mosquitto' | 'aedes'; version: string; protocolVersions: readonly (3 | 4 | 5)[]; /** Whether clients without credentials got in at start (the first integrator account closes it). */ isAnonymousAllowed?: boolean;
    /** mqtts://host:port and wss://host:port/mqtt of `mqtt.embedded.tls`, null when off; isCertLoginOn: a client certificate logs in (aedes with tls.caFile). */
    tlsUrl?: string | null; wssUrl?: string | null; isCertLoginOn?: boolean } | null;
  /** ws://host:port/mqtt of the embedded broker, when on. */
  wsUrl: string | null;
  /** http://host:port of the web UI / API, when on. */
  httpUrl: string | null;
  /**
   * The web UI's login: where its accounts are kept, and while no admin password is set, the
   * first-run setup code a browser on another machine must give (null once set); null without the UI.
   */
  webLogin?: { usersAt: string; setupCode: string | null } | null;
  topics: { command: string; feedback: string; schedule: string; status: string; prices: string };
  fallbackTimeoutS: number;
  /** Device nodeIds by group with their driver type, for the start banner. */
  devices: Array<{ nodeId: string; group: string; name: string; driver: string }>;
  /** The grid meter's driver type. */
  gridMeterDriver: string;
  /** With `protocolSim`: where each protocol simulator listens. */
  protocolSimulators?: Array<{ nodeId: string; protocol: string; url: string }>;
  /**
   * Where the `cost` policy's prices come from, for the banner: `source` = the config's
   * `optimizer.prices` ('bundled', 'entsoe', 'pushed' or a file), `replay` = the days from now on that
   * get another day's recorded prices (the bundled prices past their span), `today` = the site's
   * local date at start (YYYY-MM-DD), so the banner can say "today" and "tomorrow".
   */
  prices?: { source: string; replay: PriceReplay | null; today: string };
}

/** The banner's and the info's device list of a site config. */
export function deviceInfosOf(site: Pick<SiteConfig, 'devices'>): RunningAppInfo['devices'] {
  return site.devices.map((d) => ({ nodeId: d.nodeId, group: d.group, name: d.name, driver: d.driver.type }));
}

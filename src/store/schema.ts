import type { Database } from 'better-sqlite3';
import { StoreError } from './store-error.ts';

/**
 * The store's schema, as versioned migrations. Each runs once, in a transaction, and is recorded
 * in `schema_migrations` (version, name, applied_at_ms). Never edit a released migration: add one.
 *
 * Times are Unix ms (INTEGER). Powers are W with the wire's signs (grid + import, storage + charge,
 * solar + production, loads + consumption).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The telemetry columns of migration 1 (frozen: a released migration never changes). */
const TELEMETRY_COLUMNS_V1 = [
  'grid_w',
  'grid_min_w',
  'grid_max_w',
  'solar_w',
  'storage_w',
  'soc_pct',
  'ev_w',
  'heat_pump_w',
  'switched_load_w',
  'base_load_w',
  'export_limit_w',
  'import_limit_w',
] as const;

/** Columns every telemetry table has (averages over the bucket unless the name says min/max). */
export const TELEMETRY_COLUMNS = [
  ...TELEMETRY_COLUMNS_V1,
  // Migration 3: what the PV could have given uncurtailed (the measured sky of the honest PV forecasts).
  'solar_available_w',
] as const;
export type TelemetryColumn = (typeof TELEMETRY_COLUMNS)[number];

const telemetryTable = (name: string): string => `
  CREATE TABLE ${name} (
    bucket_ms INTEGER PRIMARY KEY,   -- bucket start, Unix ms
    samples INTEGER NOT NULL,        -- control cycles averaged
    ${TELEMETRY_COLUMNS_V1.map((c) => `${c} REAL`).join(',\n    ')}
  ) WITHOUT ROWID;`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'site config, schedule, command log, telemetry',
    sql: `
      CREATE TABLE site_config (
        revision INTEGER PRIMARY KEY AUTOINCREMENT,
        saved_at_ms INTEGER NOT NULL,
        source TEXT NOT NULL,            -- 'demo' | 'file' | 'api'
        source_detail TEXT,              -- e.g. the file path
        config_json TEXT NOT NULL
      );
      CREATE TABLE schedule_slots (
        start_ms INTEGER PRIMARY KEY,    -- stored slots never overlap, so a start is unique
        end_ms INTEGER NOT NULL CHECK (end_ms > start_ms),
        fields_json TEXT NOT NULL        -- canonical group-level fields, e.g. {"storage_policy":"setpoint",…}
      ) WITHOUT ROWID;
      CREATE TABLE command_log (
        id INTEGER PRIMARY KEY,
        received_at_ms INTEGER NOT NULL,
        answered_at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('command', 'schedule')),
        topic TEXT NOT NULL,             -- MQTT hides the sender's clientId from subscribers
        is_retained INTEGER NOT NULL DEFAULT 0,
        request_time TEXT,               -- the message's time as JSON (number or string), if any
        payload TEXT NOT NULL,           -- UTF-8, truncated
        payload_bytes INTEGER NOT NULL,  -- size before truncation
        response_code INTEGER NOT NULL,
        errors_json TEXT,                -- data.errors of the feedback
        executed_json TEXT               -- per component: executed policy, power, active signal
      );
      CREATE INDEX command_log_received ON command_log (received_at_ms);
      ${telemetryTable('telemetry_1m')}
      ${telemetryTable('telemetry_15m')}
    `,
  },
  {
    version: 2,
    name: 'pushed prices; command log kind prices',
    // (a) SQLite cannot alter a CHECK constraint: the command log is rebuilt under the same name
    // (every row copied with its id, so ids and order survive), and its index re-created. Nothing
    // references command_log (no foreign keys, views or triggers), so the rename is safe. It all
    // runs in the migration's transaction: a failure leaves the version-1 table as it was.
    // (b) The pushed prices as ONE row (id = 1), the series as a JSON array: the provider keeps a
    // single contiguous series and every accepted message rewrites it whole (a few hundred slots,
    // ~10 KB), so one row is one atomic write and one read, with no gaps or overlaps to check
    // between rows; no query ever needs a single slot in SQL. start_ms/slot_ms describe the grid
    // (slot i starts at start_ms + i·slot_ms), as PriceSeries does.
    sql: `
      CREATE TABLE command_log_v2 (
        id INTEGER PRIMARY KEY,
        received_at_ms INTEGER NOT NULL,
        answered_at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('command', 'schedule', 'prices')),
        topic TEXT NOT NULL,
        is_retained INTEGER NOT NULL DEFAULT 0,
        request_time TEXT,
        payload TEXT NOT NULL,
        payload_bytes INTEGER NOT NULL,
        response_code INTEGER NOT NULL,
        errors_json TEXT,
        executed_json TEXT
      );
      INSERT INTO command_log_v2 (id, received_at_ms, answered_at_ms, kind, topic, is_retained, request_time, payload, payload_bytes, response_code, errors_json, executed_json)
        SELECT id, received_at_ms, answered_at_ms, kind, topic, is_retained, request_time, payload, payload_bytes, response_code, errors_json, executed_json FROM command_log;
      DROP TABLE command_log;
      ALTER TABLE command_log_v2 RENAME TO command_log;
      CREATE INDEX command_log_received ON command_log (received_at_ms);
      CREATE TABLE pushed_prices (
        id INTEGER PRIMARY KEY CHECK (id = 1),   -- one series at most
        start_ms INTEGER NOT NULL,               -- start of the first slot, Unix ms
        slot_ms INTEGER NOT NULL CHECK (slot_ms > 0),
        prices_json TEXT NOT NULL,               -- JSON array of EUR/MWh, one per slot
        saved_at_ms INTEGER NOT NULL             -- controller clock
      );
    `,
  },
  {
    version: 3,
    name: 'telemetry: available PV power',
    // Rows stored before it have NULL there (not measured), which every reader skips.
    sql: `
      ALTER TABLE telemetry_1m ADD COLUMN solar_available_w REAL;
      ALTER TABLE telemetry_15m ADD COLUMN solar_available_w REAL;
    `,
  },
  {
    version: 4,
    name: 'command log: command id',
    // The id the controller gives a message on arrival; its log lines carry it (docs/operations.md).
    // Rows stored before have NULL. Indexed: `gridpilot log` and an operator look a row up by it.
    sql: `
      ALTER TABLE command_log ADD COLUMN command_id TEXT;
      CREATE INDEX command_log_command_id ON command_log (command_id);
    `,
  },
  {
    version: 5,
    name: 'command log: payload SHA-256',
    // The payload column keeps an excerpt (4 KiB); the hash identifies the whole payload. NULL in older rows.
    sql: `
      ALTER TABLE command_log ADD COLUMN payload_sha256 TEXT;
    `,
  },
  {
    version: 6,
    name: 'command log: source, actor and applied time',
    // One message path for MQTT and the web API: where a message came from ('mqtt' | 'web'; NULL in
    // older rows = mqtt), who sent it from the web (the session's user), and, for a live command
    // that was applied, its `time` in Unix ms: the ordering rule's "last applied" survives a restart.
    sql: `
      ALTER TABLE command_log ADD COLUMN source TEXT;
      ALTER TABLE command_log ADD COLUMN actor TEXT;
      ALTER TABLE command_log ADD COLUMN applied_time_ms INTEGER;
      CREATE INDEX command_log_applied ON command_log (applied_time_ms) WHERE applied_time_ms IS NOT NULL;
    `,
  },
  {
    version: 7,
    name: 'broker accounts',
    // Accounts of the local broker (src/store/broker-accounts.ts): controllers and integrators, each
    // password as two salted hashes (scrypt for gridpilot, mosquitto's own $7$ PBKDF2-SHA512 for the
    // password files it generates), optionally a client-certificate CN, and the site serials each
    // account acts for. One revision counter, bumped in the same transaction as every change: a
    // running broker polls it to notice changes made by another process (the CLI).
    sql: `
      CREATE TABLE broker_accounts (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('controller', 'integrator')),
        password_scrypt TEXT,            -- '$scrypt$ln=..,r=..,p=..$salt$hash'; NULL = certificate only
        password_mosquitto TEXT,         -- '$7$iterations$salt$hash'; NULL = certificate only
        cert_cn TEXT UNIQUE,             -- client-certificate CN that logs this account in
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE broker_account_sites (
        name TEXT NOT NULL,
        serial TEXT NOT NULL,
        PRIMARY KEY (name, serial)
      ) WITHOUT ROWID;
      CREATE TABLE broker_accounts_revision (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        revision INTEGER NOT NULL
      );
      INSERT INTO broker_accounts_revision (id, revision) VALUES (1, 0);
    `,
  },
];

export const LATEST_SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

function ensureMigrationsTable(db: Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at_ms INTEGER NOT NULL
  )`);
}

/** The highest applied migration, 0 for an empty database. */
export function schemaVersion(db: Database): number {
  const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).get();
  if (!exists) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/**
 * Brings the database to the latest schema. Refuses a database written by a newer gridpilot
 * (its schema is unknown here) rather than guess.
 */
export function migrate(db: Database, file: string, nowMs = Date.now()): { from: number; to: number } {
  ensureMigrationsTable(db);
  const from = schemaVersion(db);
  if (from > LATEST_SCHEMA_VERSION) {
    throw new StoreError(
      `${file} has schema version ${from}, newer than this gridpilot knows (${LATEST_SCHEMA_VERSION}). ` +
        'Upgrade gridpilot, or start with another --data-dir.',
      'newer-schema',
    );
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)');
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, nowMs);
    })();
  }
  return { from, to: LATEST_SCHEMA_VERSION };
}

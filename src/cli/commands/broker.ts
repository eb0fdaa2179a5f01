import { Option, type Command } from 'commander';
import { hashPasswordMosquitto, hashPasswordScrypt } from '../../broker/password-hash.ts';
import { BrokerAccountsDb, checkSerial, controllerAccountName, writeControllerPassword, type PasswordHashes, type StoredAccount } from '../../store/broker-accounts.ts';
import { DEFAULT_DATA_DIR } from '../../store/paths.ts';
import { consoleIo, EXIT_OK, UsageError, type CliIo } from '../io.ts';
import { readPassword } from '../read-password.ts';
import { fleetSerial } from '../../fleet/fleet-site-config.ts';
import { runMosquittoConfig, type MosquittoConfigFlags } from './broker-mosquitto-config.ts';

/*
 * `gridpilot broker …`: the accounts of the local broker, kept in the data directory's store
 * (src/store/broker-accounts.ts). A running `gridpilot start` on the same directory applies every
 * change within about a second, without a restart (docs/operations.md "Accounts and access").
 */

export interface BrokerFlags {
  dataDir: string;
  password?: string;
  certCn?: string;
  json?: boolean;
}

/** Where a password comes from: `--password`, else the prompt / stdin. Tests pass their own. */
export type PasswordSource = (prompt: string) => Promise<string>;

const MIN_PASSWORD_CHARS = 8;

async function passwordOf(flags: BrokerFlags, what: string, ask: PasswordSource): Promise<PasswordHashes & { clear: string }> {
  const clear = flags.password ?? (await ask(`password for ${what}: `));
  if (clear.length < MIN_PASSWORD_CHARS) throw new UsageError(`the password for ${what} must have at least ${MIN_PASSWORD_CHARS} characters (nothing changed)`);
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\u0000-\u001f]/.test(clear)) throw new UsageError(`the password for ${what} must not hold control characters (nothing changed)`);
  return { clear, scrypt: hashPasswordScrypt(clear), mosquitto: hashPasswordMosquitto(clear) };
}

function withAccounts<T>(dataDir: string, fn: (db: BrokerAccountsDb) => T): T {
  const db = BrokerAccountsDb.open(dataDir);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export async function runAddIntegrator(name: string, flags: BrokerFlags, io: CliIo, ask: PasswordSource = readPassword): Promise<number> {
  const pw = await passwordOf(flags, `integrator ${name}`, ask);
  withAccounts(flags.dataDir, (db) => db.add({ name, role: 'integrator', password: pw, certCn: flags.certCn ?? null }));
  io.out(`integrator ${name} added (no sites yet: gridpilot broker grant ${name} SERIAL)`);
  return EXIT_OK;
}

export async function runAddSite(serial: string, flags: BrokerFlags, io: CliIo, ask: PasswordSource = readPassword): Promise<number> {
  checkSerial(serial);
  const name = controllerAccountName(serial);
  const pw = await passwordOf(flags, `the controller of site ${serial} (${name})`, ask);
  withAccounts(flags.dataDir, (db) => {
    db.add({ name, role: 'controller', password: pw, certCn: flags.certCn ?? null, serials: [serial] });
    // The controller on this data directory logs in with it; a remote one is given it (mqtt.username/password).
    writeControllerPassword(flags.dataDir, name, pw.clear);
  });
  io.out(`site ${serial} added: its controller logs in as ${name} (client id ${name})`);
  return EXIT_OK;
}

export interface AddFleetFlags extends BrokerFlags {
  sites: number;
  serialPrefix: string;
  firstIndex: number;
  /** Integrators given every site of the fleet. */
  grant: readonly string[];
}

/**
 * `gridpilot broker add-fleet`: the controller accounts of a simulated fleet (`gridpilot fleet`),
 * `gp-<prefix><000001>` …, all with the one password given, in one transaction (the password is
 * hashed once: the accounts of a simulated fleet share it), and each integrator of `--grant` given
 * every site. Nothing is added when any account exists already.
 */
export async function runAddFleet(flags: AddFleetFlags, io: CliIo, ask: PasswordSource = readPassword): Promise<number> {
  if (!Number.isInteger(flags.sites) || flags.sites < 1) throw new UsageError(`--sites ${String(flags.sites)}: give a whole number ≥ 1 (nothing changed)`);
  if (!Number.isInteger(flags.firstIndex) || flags.firstIndex < 1 || flags.firstIndex + flags.sites - 1 > 999_999) throw new UsageError(`--first ${String(flags.firstIndex)} with --sites ${flags.sites}: indexes must stay within 1–999999 (nothing changed)`);
  const serials = Array.from({ length: flags.sites }, (_, i) => fleetSerial(flags.serialPrefix, flags.firstIndex + i));
  for (const s of [serials[0], serials[serials.length - 1]]) checkSerial(s ?? '');
  const pw = await passwordOf(flags, `the ${flags.sites} controllers of the fleet`, ask);
  const hashes: PasswordHashes = { scrypt: pw.scrypt, mosquitto: pw.mosquitto };
  withAccounts(flags.dataDir, (db) => {
    db.addAll(serials.map((serial) => ({ name: controllerAccountName(serial), role: 'controller' as const, password: hashes, serials: [serial] })));
    for (const name of flags.grant) db.grantAll(name, serials);
  });
  io.out(`fleet of ${flags.sites} sites added: ${serials[0]} … ${serials[serials.length - 1]}, controllers log in as gp-<serial>${flags.grant.length ? `; granted to ${flags.grant.join(', ')}` : ''}`);
  return EXIT_OK;
}

export async function runGrant(name: string, serial: string, flags: BrokerFlags, io: CliIo): Promise<number> {
  const changed = withAccounts(flags.dataDir, (db) => db.grant(name, serial));
  io.out(changed ? `${name} may now command site ${serial}` : `${name} had site ${serial} already (nothing changed)`);
  return EXIT_OK;
}

export async function runRevoke(name: string, serial: string, flags: BrokerFlags, io: CliIo): Promise<number> {
  withAccounts(flags.dataDir, (db) => db.revoke(name, serial));
  io.out(`${name} may no longer reach site ${serial}`);
  return EXIT_OK;
}

export async function runPasswd(name: string, flags: BrokerFlags, io: CliIo, ask: PasswordSource = readPassword): Promise<number> {
  const account = withAccounts(flags.dataDir, (db) => db.get(name));
  if (!account) throw new UsageError(`no account named ${name} in ${flags.dataDir} (see: gridpilot broker list)`);
  const pw = await passwordOf(flags, `${account.role} ${name}`, ask);
  withAccounts(flags.dataDir, (db) => {
    db.setPassword(name, pw);
    if (account.role === 'controller') writeControllerPassword(flags.dataDir, name, pw.clear);
  });
  io.out(`password of ${name} changed`);
  return EXIT_OK;
}

function describe(a: StoredAccount): string {
  const login = [a.passwordScrypt !== null ? 'password' : null, a.certCn !== null ? `certificate CN=${a.certCn}` : null].filter(Boolean).join(' or ');
  return `${a.role.padEnd(10)}  ${a.name.padEnd(24)}  ${(a.serials.join(', ') || '(no sites)').padEnd(24)}  ${login}`;
}

export async function runList(flags: BrokerFlags, io: CliIo): Promise<number> {
  const accounts = withAccounts(flags.dataDir, (db) => db.list());
  if (flags.json) {
    io.out(JSON.stringify(accounts.map((a) => ({ name: a.name, role: a.role, serials: a.serials, hasPassword: a.passwordScrypt !== null, certCn: a.certCn }))));
  } else if (accounts.length === 0) {
    io.out('no broker accounts (anonymous clients may connect while the broker binds to loopback)');
  } else {
    io.out(`${'role'.padEnd(10)}  ${'account'.padEnd(24)}  ${'sites'.padEnd(24)}  login`);
    for (const a of accounts) io.out(describe(a));
  }
  return EXIT_OK;
}

/** Registers `gridpilot broker add-integrator|add-site|grant|revoke|list|passwd|mosquitto-config`. */
export function registerBroker(program: Command, run: (action: () => Promise<number>) => Promise<void>, io: CliIo = consoleIo): void {
  const broker = program
    .command('broker')
    .summary("manage the local broker's accounts and access")
    .description('Accounts of the broker `gridpilot start` runs (controllers and integrators), kept in the data directory.\nA running controller applies changes within about a second, without a restart.');
  const dataDir = (): Option => new Option('--data-dir <dir>', "the controller's data directory").default(DEFAULT_DATA_DIR).env('GRIDPILOT_DATA_DIR');
  const password = (): Option => new Option('--password <pw>', 'the password (default: prompt, or one line from stdin)');
  const certCn = (): Option => new Option('--cert-cn <cn>', 'also log this account in by a client certificate with this CN (TLS listener)');

  broker
    .command('add-integrator')
    .summary('add an integrator account (then grant it sites)')
    .argument('<name>', 'username: letters, digits, _ . -')
    .addOption(dataDir())
    .addOption(password())
    .addOption(certCn())
    .action((name: string, flags: BrokerFlags) => run(() => runAddIntegrator(name, flags, io)));
  broker
    .command('add-site')
    .summary("add a site: the controller account gp-SERIAL")
    .argument('<serial>', 'the controller serial')
    .addOption(dataDir())
    .addOption(password())
    .addOption(certCn())
    .action((serial: string, flags: BrokerFlags) => run(() => runAddSite(serial, flags, io)));
  broker
    .command('grant')
    .summary('let an integrator command a site and read its feedback')
    .argument('<name>', 'integrator account')
    .argument('<serial>', 'site serial')
    .addOption(dataDir())
    .action((name: string, serial: string, flags: BrokerFlags) => run(() => runGrant(name, serial, flags, io)));
  broker
    .command('revoke')
    .summary("take a site from an integrator")
    .argument('<name>', 'integrator account')
    .argument('<serial>', 'site serial')
    .addOption(dataDir())
    .action((name: string, serial: string, flags: BrokerFlags) => run(() => runRevoke(name, serial, flags, io)));
  broker
    .command('list')
    .summary('list the accounts and their sites')
    .addOption(dataDir())
    .option('--json', 'print JSON')
    .action((flags: BrokerFlags) => run(() => runList(flags, io)));
  broker
    .command('passwd')
    .summary("change an account's password")
    .argument('<name>', 'account')
    .addOption(dataDir())
    .addOption(password())
    .action((name: string, flags: BrokerFlags) => run(() => runPasswd(name, flags, io)));
  broker
    .command('add-fleet')
    .summary('add the controller accounts of a simulated fleet (gridpilot fleet)')
    .requiredOption('--sites <n>', 'how many sites', (v) => Number(v))
    .option('--serial-prefix <prefix>', 'serials are <prefix><6-digit index>', 'SIM')
    .option('--first <index>', 'index of the first site', (v) => Number(v), 1)
    .option('--grant <integrator>', 'give this integrator every site of the fleet (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .addOption(dataDir())
    .addOption(password())
    .action((flags: BrokerFlags & { sites: number; serialPrefix: string; first: number; grant: string[] }) => run(() => runAddFleet({ ...flags, firstIndex: flags.first }, io)));

  broker
    .command('mosquitto-config')
    .summary('write mosquitto.conf, password file and ACL for a production mosquitto')
    .requiredOption('--out <dir>', 'directory to write into (created 0700)')
    .addOption(dataDir())
    .option('--port <port>', 'MQTT TCP port', (v) => Number(v), 1883)
    .option('--host <address>', 'bind address', '0.0.0.0')
    .option('--tls-port <port>', 'also a TLS listener (mqtts://) on this port (default 8883 with --cert)', (v) => Number(v))
    .option('--cert <file>', 'PEM server certificate (chain) of the TLS listener')
    .option('--key <file>', 'PEM private key of --cert')
    .option('--ca <file>', "PEM CA written as mosquitto's cafile (mosquitto asks no client certificate: passwords on TLS too)")
    .action((flags: MosquittoConfigFlags) => run(() => runMosquittoConfig(flags, io)));
}

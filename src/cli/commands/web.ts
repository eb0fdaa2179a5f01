import { existsSync, mkdirSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { DEFAULT_DATA_DIR } from '../../store/paths.ts';
import { fileWebUsers, WebUsersError, type WebRole } from '../../web/auth/web-users.ts';
import { consoleIo, EXIT_FAILURE, EXIT_OK, errorText, type CliIo } from '../io.ts';
import { readPassword } from '../read-password.ts';

/*
 * `gridpilot web passwd NAME` and `gridpilot web users`: the web UI's accounts in the data
 * directory (`web-users.json`, web/auth/web-users.ts). A running controller picks a change up at
 * its next request: the user's open sessions end at once.
 */

export interface WebPasswdFlags {
  dataDir: string;
  role: WebRole;
  password?: string;
}

export async function runWebPasswd(name: string, flags: WebPasswdFlags, io: CliIo = consoleIo, ask: () => Promise<string> = () => readPassword(`new password for web user "${name}": `)): Promise<number> {
  try {
    if (!existsSync(flags.dataDir)) mkdirSync(flags.dataDir, { recursive: true, mode: 0o700 });
    const users = fileWebUsers(flags.dataDir);
    const password = flags.password ?? (await ask());
    const existed = users.list().some((u) => u.name === name);
    const user = await users.setPassword(name, password, flags.role);
    io.out(`${existed ? 'password changed' : 'user added'}: ${user.name} (${user.role}) in ${users.where}${existed ? '; its open sessions have ended' : ''}`);
    return EXIT_OK;
  } catch (err) {
    io.err(`gridpilot web passwd: ${err instanceof WebUsersError ? err.message : errorText(err)}; nothing changed`);
    return EXIT_FAILURE;
  }
}

export function runWebUsers(flags: { dataDir: string; json?: boolean }, io: CliIo = consoleIo): number {
  try {
    const users = fileWebUsers(flags.dataDir).list();
    if (flags.json) for (const u of users) io.out(JSON.stringify({ name: u.name, role: u.role, updatedAtMs: u.updatedAtMs }));
    else if (users.length === 0) io.out('no web users yet: the first visit to the web UI sets the admin password (or: gridpilot web passwd admin)');
    else for (const u of users) io.out(`${u.name.padEnd(16)} ${u.role.padEnd(7)} password set ${new Date(u.updatedAtMs).toISOString()}`);
    return EXIT_OK;
  } catch (err) {
    io.err(`gridpilot web users: ${errorText(err)}`);
    return EXIT_FAILURE;
  }
}

export function registerWeb(program: Command, run: (action: () => Promise<number>) => Promise<void>, io: CliIo = consoleIo): void {
  const web = program.command('web').summary("the web UI's accounts (admin, read-only viewers)");
  const dataDir = (): Option => new Option('--data-dir <dir>', "the controller's data directory").default(DEFAULT_DATA_DIR).env('GRIDPILOT_DATA_DIR');
  web
    .command('passwd <name>')
    .summary("set or reset a web user's password (creates the user)")
    .description('Sets the password of a web UI user, adding the user if new. `admin` may change things; a `viewer` only reads.\nWithout --password it is asked for (no echo on a terminal; else the first line of stdin). Applies to a running controller at once.')
    .addOption(dataDir())
    .addOption(new Option('--role <role>', 'admin or viewer').choices(['admin', 'viewer']).default('admin'))
    .option('--password <pw>', 'the new password (visible in the process list: prefer the prompt or stdin)')
    .action((name: string, flags: WebPasswdFlags) => run(() => runWebPasswd(name, flags, io)));
  web
    .command('users')
    .summary('list the web users and their roles')
    .addOption(dataDir())
    .option('--json', 'one JSON object per user and line')
    .action((flags: { dataDir: string; json?: boolean }) => run(async () => runWebUsers(flags, io)));
}

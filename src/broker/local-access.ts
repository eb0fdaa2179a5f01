import { randomBytes } from 'node:crypto';
import { errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { BrokerAccountsDb, controllerAccountName, readControllerPassword, writeControllerPassword, type StoredAccount } from '../store/broker-accounts.ts';
import { isAnonymousAllowed, type AccessPolicy, type BrokerAccount } from './auth.ts';
import { hashPasswordMosquitto, hashPasswordScrypt } from './password-hash.ts';

/**
 * The accounts the local broker of `gridpilot start` enforces, and how the controller of this
 * data directory logs in to it. With a data directory the accounts are the store's
 * (`gridpilot broker …`); its own site's controller account `gp-<serial>` is created when missing,
 * with a generated password kept in `broker-secrets.json` (a missing one is regenerated). Without a data
 * directory the controller account lives in memory only. `watch` polls the accounts' revision
 * (one indexed single-row read per interval, on a read-only connection) and applies a change to
 * the running broker: CLI changes from another process take effect within `pollMs`.
 */
export interface LocalAccess {
  /** What the broker starts with. */
  readonly policy: AccessPolicy;
  /** The local controller's credentials (its client id is the username). */
  readonly controllerLogin: { username: string; password: string };
  /** Starts polling; `apply` gets each changed policy. Returns a stop function. */
  watch(apply: (policy: AccessPolicy) => Promise<void>, pollMs?: number): () => void;
}

const toAccount = (a: StoredAccount): BrokerAccount => ({ name: a.name, role: a.role, serials: a.serials, passwordScrypt: a.passwordScrypt, passwordMosquitto: a.passwordMosquitto, certCn: a.certCn });

const newPassword = (): string => randomBytes(24).toString('base64url');

export function openLocalAccess(o: { serial: string; bindHost: string; dataDir?: string | undefined; logger: Logger }): LocalAccess {
  const username = controllerAccountName(o.serial);
  if (o.dataDir === undefined) {
    const password = newPassword();
    const accounts: BrokerAccount[] = [{ name: username, role: 'controller', serials: [o.serial], passwordScrypt: hashPasswordScrypt(password), passwordMosquitto: hashPasswordMosquitto(password), certCn: null }];
    return { policy: { accounts, isAnonymousAllowed: isAnonymousAllowed(accounts, o.bindHost) }, controllerLogin: { username, password }, watch: () => () => undefined };
  }
  const dataDir = o.dataDir;
  const db = BrokerAccountsDb.open(dataDir);
  let password: string;
  let accounts: BrokerAccount[];
  let revision: number;
  try {
    const own = db.get(username);
    const kept = readControllerPassword(dataDir, username);
    password = kept ?? newPassword();
    if (!own) {
      db.add({ name: username, role: 'controller', password: { scrypt: hashPasswordScrypt(password), mosquitto: hashPasswordMosquitto(password) }, serials: [o.serial] });
      writeControllerPassword(dataDir, username, password);
      o.logger.info({ account: username }, 'broker: controller account created (password in broker-secrets.json)');
    } else if (kept === null) {
      db.setPassword(username, { scrypt: hashPasswordScrypt(password), mosquitto: hashPasswordMosquitto(password) });
      writeControllerPassword(dataDir, username, password);
      o.logger.warn({ account: username }, 'broker: the controller account had no password in broker-secrets.json: a new one was generated');
    }
    accounts = db.list().map(toAccount);
    revision = db.revision();
  } finally {
    db.close();
  }
  const policyOf = (list: BrokerAccount[]): AccessPolicy => ({ accounts: list, isAnonymousAllowed: isAnonymousAllowed(list, o.bindHost) });
  return {
    policy: policyOf(accounts),
    controllerLogin: { username, password },
    watch(apply, pollMs = 1000) {
      const reader = BrokerAccountsDb.open(dataDir, { readonly: true });
      let busy = false;
      let lastError: string | null = null;
      const timer = setInterval(() => {
        if (busy) return;
        try {
          const now = reader.revision();
          if (now === revision) return;
          revision = now;
          busy = true;
          apply(policyOf(reader.list().map(toAccount)))
            .catch((err: unknown) => o.logger.error({ err: errorMessage(err) }, 'broker: changed accounts not applied'))
            .finally(() => {
              busy = false;
            });
          lastError = null;
        } catch (err) {
          const msg = errorMessage(err);
          if (msg !== lastError) o.logger.warn({ err: msg }, 'broker: cannot read the accounts');
          lastError = msg;
        }
      }, pollMs);
      timer.unref();
      return () => {
        clearInterval(timer);
        reader.close();
      };
    },
  };
}

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throw-away PKI for TLS tests, made with the openssl CLI: a CA, a server certificate for
 * 127.0.0.1/localhost, and client certificates whose CN is the given username.
 */
export interface TestPki {
  dir: string;
  caFile: string;
  serverKeyFile: string;
  serverCertFile: string;
  /** Client certificate + key per requested CN. */
  clients: Record<string, { certFile: string; keyFile: string }>;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(`openssl ${args.join(' ')} failed (is the openssl CLI installed?): ${String(err)}`);
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function issue(dir: string, name: string, cn: string, extFile: string | null): { certFile: string; keyFile: string } {
  openssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', ...(extFile ? ['-extfile', extFile] : [])],
    dir,
  );
  return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
}

/** `serverAltNames`: the server certificate's subjectAltName entries, default `IP:127.0.0.1, DNS:localhost`. */
export function createTestPki(clientCommonNames: readonly string[] = [], opts: { serverAltNames?: readonly string[] } = {}): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'gridpilot-pki-'));
  openssl(['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=gridpilot test CA'], dir);
  writeFileSync(join(dir, 'server.ext'), `subjectAltName=${(opts.serverAltNames ?? ['IP:127.0.0.1', 'DNS:localhost']).join(',')}\n`);
  const server = issue(dir, 'server', 'localhost', 'server.ext');
  const clients: TestPki['clients'] = {};
  clientCommonNames.forEach((cn, i) => {
    clients[cn] = issue(dir, `client${i}`, cn, null);
  });
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    serverKeyFile: server.keyFile,
    serverCertFile: server.certFile,
    clients,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { GridpilotError, errorMessage } from '../core/errors.ts';
import type { TlsFiles } from './listeners.ts';

/** `mqtt.embedded.tls` of the site config: the local broker's mqtts:// (and wss://) listeners. */
export interface LocalBrokerTlsConfig {
  /** TCP port of mqtts://; 0 = any free port. Default 8883. */
  port: number;
  /** PEM server certificate (chain), the one clients verify. */
  certFile: string;
  /** PEM private key of `certFile` (unencrypted). */
  keyFile: string;
  /**
   * PEM CA of client certificates. aedes asks clients for one (optional for them); a certificate
   * it verifies whose CN is an account's `certCn` logs that account in without a password.
   * mosquitto does not (see mosquitto-config.ts): passwords only there.
   */
  caFile?: string | undefined;
  /** MQTT over secure WebSocket at /mqtt; 0 = any free port; null = off. Default null. */
  wssPort?: number | null | undefined;
}

function readFile(path: string, where: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : errorMessage(err);
    throw new GridpilotError(`cannot read the ${what} ${path}: ${why}`, where);
  }
}

function parse<T>(where: string, what: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new GridpilotError(`${path} is not a PEM ${what}: ${errorMessage(err)}`, where);
  }
}

/** Every PEM certificate in a bundle (a CA file may hold several). */
function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * Reads and checks the TLS files of `mqtt.embedded.tls` before any broker starts: each must exist
 * and hold PEM (a certificate, a private key, CA certificates), and the key must belong to the
 * certificate. Throws a GridpilotError naming the config path and the file; reads nothing else.
 */
export function loadBrokerTlsFiles(t: LocalBrokerTlsConfig, where = 'mqtt.embedded.tls'): TlsFiles {
  const cert = readFile(t.certFile, `${where}.certFile`, 'certificate file');
  const key = readFile(t.keyFile, `${where}.keyFile`, 'key file');
  const certPem = pemCertificates(cert.toString('utf8'));
  if (certPem.length === 0) throw new GridpilotError(`${t.certFile} is not a PEM certificate (no "BEGIN CERTIFICATE" block)`, `${where}.certFile`);
  const leaf = parse(`${where}.certFile`, 'certificate', t.certFile, () => new X509Certificate(certPem[0] ?? ''));
  const privateKey = parse(`${where}.keyFile`, 'private key', t.keyFile, () => createPrivateKey(key));
  if (!leaf.checkPrivateKey(privateKey)) throw new GridpilotError(`${t.keyFile} is not the private key of the certificate ${t.certFile}`, `${where}.keyFile`);
  let ca: Buffer | undefined;
  if (t.caFile !== undefined) {
    ca = readFile(t.caFile, `${where}.caFile`, 'CA file');
    const caPem = pemCertificates(ca.toString('utf8'));
    if (caPem.length === 0) throw new GridpilotError(`${t.caFile} is not a PEM CA certificate (no "BEGIN CERTIFICATE" block)`, `${where}.caFile`);
    for (const pem of caPem) parse(`${where}.caFile`, 'CA certificate', t.caFile, () => new X509Certificate(pem));
  }
  // What the listeners will do with them: catches what the parsers above let through.
  parse(where, 'certificate and key pair', t.certFile, () => tls.createSecureContext({ cert, key, ...(ca ? { ca } : {}) }));
  return { cert, key, ...(ca ? { ca } : {}) };
}

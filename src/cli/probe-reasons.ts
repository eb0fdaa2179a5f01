/*
 * Why a step of `gridpilot check` failed, in words a user can act on: socket errors, TLS
 * verification errors (Node's / OpenSSL's codes) and MQTT CONNACK refusals (3.1/3.1.1 return
 * codes [MQTT-3.2.2.3] and MQTT 5 reason codes [MQTT5 3.2.2.2]).
 */

const SOCKET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listens there)',
  ENOTFOUND: 'host name not found (DNS)',
  EAI_AGAIN: 'host name lookup failed (DNS)',
  EHOSTUNREACH: 'host unreachable (routing)',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timeout (no answer)',
};

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
]);

type Coded = Error & { code?: unknown; reason?: unknown };

const codeOf = (err: unknown): unknown => (err instanceof Error ? (err as Coded).code : undefined);

/** A socket error (connect, DNS, reset) as words, or the error's own message. */
export function socketReason(err: unknown): string {
  const code = codeOf(err);
  if (typeof code === 'string' && SOCKET_REASONS[code]) return SOCKET_REASONS[code];
  return err instanceof Error ? err.message : String(err);
}

/** A failed TLS handshake: "TLS: certificate not trusted …", "TLS: hostname mismatch …", … */
export function tlsReason(err: unknown, hasCa: boolean): string {
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && UNTRUSTED.has(code)) {
    return `TLS: certificate not trusted (${code}): ${hasCa ? 'it is not signed by the --ca given' : "give the broker's CA with --ca FILE"}`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const reason = err instanceof Error && typeof (err as Coded).reason === 'string' ? String((err as Coded).reason) : message;
    return `TLS: hostname mismatch (${reason})`;
  }
  if (code === 'CERT_HAS_EXPIRED') return 'TLS: the broker certificate has expired';
  if (code === 'CERT_NOT_YET_VALID') return 'TLS: the broker certificate is not valid yet (check this clock)';
  if (/wrong version number|packet length too long|unknown protocol|http request/i.test(message)) return 'TLS: the port does not speak TLS (plain MQTT or HTTP there?)';
  if (/certificate required|handshake failure|bad certificate/i.test(message)) return `TLS: the broker refused the handshake (${message}): does it require a client certificate (--cert/--key)?`;
  if (code === 'ECONNRESET' || /socket disconnected before secure TLS connection/i.test(message)) {
    return 'TLS: the server closed the connection during the handshake (no TLS on this port? a plain MQTT broker does this)';
  }
  if (typeof code === 'string' && SOCKET_REASONS[code]) return `TLS: ${SOCKET_REASONS[code]} during the handshake`;
  return `TLS: ${message}`;
}

// mosquitto answers a wrong password with this too, not with "bad username or password".
const NOT_AUTHORISED = 'not authorised (credentials missing or refused, or a client id reserved for another account)';

/** CONNACK return codes of MQTT 3.1/3.1.1 and reason codes of MQTT 5 that refuse a connection. */
const CONNACK_REASONS: Record<number, string> = {
  1: 'unacceptable protocol version (try another --mqtt-version)',
  2: 'client identifier rejected',
  3: 'server unavailable',
  4: 'bad username or password',
  5: NOT_AUTHORISED,
  0x80: 'unspecified error',
  0x81: 'malformed packet',
  0x82: 'protocol error',
  0x84: 'unsupported protocol version (try another --mqtt-version)',
  0x85: 'client identifier not valid',
  0x86: 'bad username or password',
  0x87: NOT_AUTHORISED,
  0x88: 'server unavailable',
  0x89: 'server busy',
  0x8a: 'banned',
  0x8c: 'bad authentication method',
  0x95: 'packet too large',
  0x97: 'quota exceeded',
  0x9f: 'connection rate exceeded',
};

/** The CONNACK code of a refused connection (MQTT.js puts it in `code`), if that is what happened. */
export function connackCodeOf(err: unknown): number | null {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = codeOf(e);
    if (typeof code === 'number') return code;
  }
  return null;
}

export function connackReason(code: number): string {
  const hex = code >= 0x80 ? ` (0x${code.toString(16)})` : '';
  return `CONNACK ${code}${hex}: ${CONNACK_REASONS[code] ?? 'refused'}`;
}

/**
 * Why an MQTT CONNECT failed on a port that accepted the connection (and the TLS handshake, if
 * any): a CONNACK refusal, an HTTP answer where a WebSocket was expected, or no MQTT at all.
 */
export function mqttReason(err: unknown, transport: 'tcp' | 'ws'): string {
  const code = connackCodeOf(err);
  if (code !== null) return connackReason(code);
  const messages: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) messages.push(e.message);
  const text = messages.join(' ');
  const http = /Unexpected server response: (\d+)/.exec(text);
  if (http) return `not an MQTT broker: HTTP ${http[1]} where MQTT over WebSocket was asked for`;
  if (/no CONNACK within/.test(text)) return `not an MQTT broker: ${transport === 'ws' ? 'no MQTT answer over the WebSocket' : 'no CONNACK'} in time`;
  if (/closed before the broker accepted/.test(text)) return 'not an MQTT broker: it closed the connection without a CONNACK (or it refused this MQTT version silently)';
  return `not an MQTT broker: ${messages[messages.length - 1] ?? String(err)}`;
}

/**
 * Config keys whose values are secrets (`mqtt.password`, `optimizer.entsoe.securityToken`, an OCPP
 * charger's `password`, …): redacted in the web API, kept out of the database (store/config-secrets.ts).
 */
export const SECRET_KEY = /password|passphrase|secret|token/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

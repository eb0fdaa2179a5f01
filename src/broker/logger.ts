/** The slice of a pino logger the broker uses; pino's `Logger` fits it as is. */
export interface BrokerLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => undefined;

export const silentLogger: BrokerLogger = { debug: noop, info: noop, warn: noop, error: noop };

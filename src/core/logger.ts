/** The slice of a pino logger gridpilot's modules log through; pino's `Logger` fits it as is. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => undefined;

/** A logger that drops everything (tests, tools). */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

import { InvalidArgumentError } from 'commander';
import { isMqttProtocolVersion, type MqttProtocolVersion } from '../client/index.ts';
import { parseWatts } from './parse-send-args.ts';

/** Commander argument parsers: each throws InvalidArgumentError with what was expected. */

export function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a TCP port, 0 to 65535.');
  return n;
}

/** A port, or `off` for listeners that can be switched off (commander turns a null result into '', so no null here). */
export function parsePortOrOff(text: string): number | 'off' {
  return text.toLowerCase() === 'off' ? 'off' : parsePort(text);
}

export function parsePositiveNumber(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0.');
  return n;
}

export function parsePositiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a whole number > 0.');
  return n;
}

export function parseNonNegativeInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number ≥ 0.');
  return n;
}

export function parseMqttVersion(text: string): MqttProtocolVersion {
  const aliases: Record<string, number> = { '3': 3, '3.1': 3, mqttv31: 3, '4': 4, '3.1.1': 4, mqttv311: 4, '5': 5, '5.0': 5, mqttv5: 5 };
  const n = aliases[text.toLowerCase()];
  if (!isMqttProtocolVersion(n)) throw new InvalidArgumentError('expected 3 (MQTT 3.1), 4 (3.1.1) or 5.');
  return n;
}

/** An ISO 8601 time (or Unix ms) → Unix ms. */
export function parseIsoTimeMs(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('expected an ISO 8601 time, e.g. 2024-05-02T06:00:00Z.');
  return ms;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Watts: `5000`, `-5000`, `5kW`, `300W`. */
export function parseWattsArg(text: string): number {
  const n = parseWatts(text);
  if (n === null) throw new InvalidArgumentError('expected watts, e.g. 5000, -5000 or 5kW.');
  return n;
}

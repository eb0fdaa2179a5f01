import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { until } from './schedule-peer.ts';

/** One register write the pymodbus peer received. */
export interface PeerWrite {
  unit: number;
  address: number;
  values: number[];
}

/** The independent SunSpec peer (Debian's pymodbus serving hand-written maps, test/devices/sunspec/fixtures/sunspec_peer.py). */
export interface SunSpecPeer {
  port: number;
  writes: PeerWrite[];
  /** The last value written at `address` of unit `unit`. */
  written(unit: number, address: number): number | undefined;
  /** How many write requests covered `address` of unit `unit`. */
  writesAt(unit: number, address: number): number;
  stop(): void;
}

/** Starts the pymodbus SunSpec peer on a free loopback port; see the fixture for its units and maps. */
export async function startSunSpecPeer(): Promise<SunSpecPeer> {
  const proc: ChildProcess = spawn('/usr/bin/python3', [new URL('../devices/sunspec/fixtures/sunspec_peer.py', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let port = 0;
  const writes: PeerWrite[] = [];
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const msg = JSON.parse(line) as { port?: number } & Partial<PeerWrite>;
    if (msg.port !== undefined) port = msg.port;
    else writes.push(msg as PeerWrite);
  });
  await until(() => port > 0 || proc.exitCode !== null, 'the pymodbus peer to listen', 15_000);
  if (port === 0) {
    proc.kill();
    throw new Error(`pymodbus peer did not start: ${stderr}`);
  }
  return {
    port,
    writes,
    written(unit, address) {
      let value: number | undefined;
      for (const w of writes) {
        const i = address - w.address;
        if (w.unit === unit && i >= 0 && i < w.values.length) value = w.values[i];
      }
      return value;
    },
    writesAt: (unit, address) => writes.filter((w) => w.unit === unit && address >= w.address && address < w.address + w.values.length).length,
    stop: () => proc.kill(),
  };
}

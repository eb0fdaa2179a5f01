import type { Clock } from '../../../core/clock.ts';
import type { Logger } from '../../../core/logger.ts';
import type { DeviceLifecycle } from '../../driver.ts';
import { RevertKeeper } from './revert-keeper.ts';
import type { SunSpecSession } from './sunspec-session.ts';

/** What every SunSpec device with a kept control is built from. */
export interface KeptControlOptions {
  session: SunSpecSession;
  clock: Clock;
  logger: Logger;
  /** Revert timer written to the device, s. */
  revertTimeoutS: number;
}

/**
 * The lifecycle of a SunSpec device whose control a {@link RevertKeeper} keeps alive (the
 * inverter's cap, the battery's rate window): nothing to start (the shared session connects), and
 * `close` stops the keeper's refreshes (the device then reverts by itself within one timer).
 */
export abstract class KeptControlDevice<O extends KeptControlOptions> implements DeviceLifecycle {
  protected readonly keeper: RevertKeeper;

  constructor(protected readonly opts: O) {
    this.keeper = new RevertKeeper(opts.clock, opts.revertTimeoutS, opts.logger, opts.session.where);
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.keeper.close();
    return Promise.resolve();
  }
}

import type { Clock } from '../../../core/clock.ts';
import type { Logger } from '../../../core/logger.ts';
import type { DeviceLifecycle } from '../../driver.ts';
import { signalOf, type SignalSource } from './read-deadline.ts';
import { RevertKeeper } from './revert-keeper.ts';
import type { ModelBlock } from '../../sunspec/model-block.ts';
import type { DiscoveredModel, SunSpecSession } from './sunspec-session.ts';

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
  /** The control model as last read (by the cycle's readState) on this connection. */
  private control: { generation: number; modelId: number; block: ModelBlock } | null = null;

  constructor(protected readonly opts: O) {
    this.keeper = new RevertKeeper(opts.clock, opts.revertTimeoutS, opts.logger, opts.session.where);
  }

  /** Keeps `block` (just read) as the control model's image for the writes that follow. */
  protected rememberControl(model: DiscoveredModel, block: ModelBlock): ModelBlock {
    this.control = { generation: this.opts.session.link.generation, modelId: model.id, block };
    return block;
  }

  /**
   * The control model's image a write is encoded with (its layout and scale factors): the one the
   * cycle's own read took on this connection, else a fresh read. A write then costs no extra read
   * (docs/benchmarks.md §5); scale factors are re-read every cycle, and a reconnect drops the image.
   */
  protected async controlBlock(model: DiscoveredModel, signal: SignalSource): Promise<ModelBlock> {
    const c = this.control;
    if (c && c.generation === this.opts.session.link.generation && c.modelId === model.id) return c.block;
    return this.rememberControl(model, await this.opts.session.readModel(model, signalOf(signal)));
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.keeper.close();
    return Promise.resolve();
  }
}

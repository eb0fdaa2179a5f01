import type { Component, DeviceGroup } from '../protocol/components.ts';
import { writePolicy, type CommandFields, type PolicyArgs, type PolicyOf, type RawFields } from './command-fields.ts';

/*
 * A fluent, typed way to write the `fields` of a live command [live §3.1, §3.2]:
 *
 *   cmd().storage.setpoint(-5000).solar.setpoint(0).heatPump.powerOn()
 *        .device('OM12404080000000000_storage_1').setpoint(2000).site.limit(0).fallback('switched_load')
 *
 * Every component property returns the policies of that component only; each policy method
 * returns the builder, so calls chain. Policies that need a setpoint take it as a required
 * number (W); the others take nothing. Setting a component twice keeps the last one.
 */

/** `solar` [live §3.1]. Setpoint = cap on total production, W ≥ 0. */
export interface SolarControl {
  setpoint(maxProductionW: number): CommandBuilder;
  feedInLimitation(): CommandBuilder;
  cost(): CommandBuilder;
  /** No control of any solar asset: grid limits are not protected by solar. */
  off(): CommandBuilder;
  fallback(): CommandBuilder;
}

/** `storage` [live §3.1]. Setpoint = total battery power, W, + charge / − discharge. */
export interface StorageControl {
  setpoint(powerW: number): CommandBuilder;
  cost(): CommandBuilder;
  selfConsumption(): CommandBuilder;
  /** No control of any battery: limits not protected. */
  off(): CommandBuilder;
  fallback(): CommandBuilder;
}

/** `heat_pump` and `switched_load` [live §3.1]. No setpoints; run times are always respected. */
export interface SwitchedControl {
  cost(): CommandBuilder;
  selfConsumption(): CommandBuilder;
  powerOn(): CommandBuilder;
  powerOff(): CommandBuilder;
  fallback(): CommandBuilder;
}

/** `variable_power_load`, the EV chargers [live §3.1]. Setpoint = total charging power, W ≥ 0. */
export interface VariablePowerLoadControl {
  setpoint(chargingPowerW: number): CommandBuilder;
  cost(): CommandBuilder;
  selfConsumption(): CommandBuilder;
  /** No control of any EV charger. */
  passive(): CommandBuilder;
  fallback(): CommandBuilder;
}

/** `site` [live §3.1]. Limit = site export limit, W ≥ 0; `default` = the configured export limit. */
export interface SiteControl {
  limit(exportLimitW: number): CommandBuilder;
  default(): CommandBuilder;
  fallback(): CommandBuilder;
}

/**
 * One device by nodeId whose group the caller did not name: every device policy is offered and
 * the controller checks it fits the device's group. Pass the group to `device()` for a narrower type.
 */
export interface DeviceControl {
  setpoint(powerW: number): CommandBuilder;
  feedInLimitation(): CommandBuilder;
  cost(): CommandBuilder;
  selfConsumption(): CommandBuilder;
  off(): CommandBuilder;
  passive(): CommandBuilder;
  powerOn(): CommandBuilder;
  powerOff(): CommandBuilder;
  fallback(): CommandBuilder;
}

/** The control interface of each device group, for `device(nodeId, group)`. */
export interface GroupControlMap {
  solar: SolarControl;
  storage: StorageControl;
  heat_pump: SwitchedControl;
  switched_load: SwitchedControl;
  variable_power_load: VariablePowerLoadControl;
}

export class CommandBuilder {
  readonly #fields: Record<string, unknown> = {};

  get solar(): SolarControl {
    return this.#control('solar', 'solar');
  }

  get storage(): StorageControl {
    return this.#control('storage', 'storage');
  }

  get heatPump(): SwitchedControl {
    return this.#control('heat_pump', 'heat_pump');
  }

  get switchedLoad(): SwitchedControl {
    return this.#control('switched_load', 'switched_load');
  }

  get variablePowerLoad(): VariablePowerLoadControl {
    return this.#control('variable_power_load', 'variable_power_load');
  }

  /** Alias of `variablePowerLoad` (the EV chargers). */
  get ev(): VariablePowerLoadControl {
    return this.variablePowerLoad;
  }

  get site(): SiteControl {
    return this.#control('site', 'site');
  }

  /** Controls one device by nodeId [live §3.2]; device-level beats group-level for that device. */
  device(nodeId: string): DeviceControl;
  device<G extends DeviceGroup>(nodeId: string, group: G): GroupControlMap[G];
  device(nodeId: string, group?: DeviceGroup): DeviceControl {
    if (nodeId.trim() === '') throw new RangeError('device nodeId must not be empty');
    return this.#control(nodeId, group ?? null);
  }

  /** Sets a component's policy by name; `setpoint`/`limit` require the setpoint in W. */
  set<C extends Component, P extends PolicyOf<C>>(component: C, policy: P, ...args: PolicyArgs<P>): this {
    writePolicy(this.#fields, component, component, policy, args[0]);
    return this;
  }

  /**
   * Sets a policy for any prefix (component or device nodeId) without compile-time checks —
   * for dynamic input such as a CLI. Setpoint rules are still checked at run time.
   */
  policy(prefix: string, policy: string, setpointW?: number): this {
    writePolicy(this.#fields, prefix, null, policy, setpointW);
    return this;
  }

  /** Cancels the remote command of these components now [live §3.3 rule 4]. */
  fallback(...components: Component[]): this {
    for (const component of components) writePolicy(this.#fields, component, component, 'fallback');
    return this;
  }

  /** Merges fields verbatim (no checks), e.g. to send something the builder would refuse. */
  raw(fields: RawFields): this {
    Object.assign(this.#fields, fields);
    return this;
  }

  /** True when no field is set: sending it is an empty command, a feedback request [live §3.3 rule 3]. */
  get isEmpty(): boolean {
    return Object.keys(this.#fields).length === 0;
  }

  /** A copy of the fields built so far. Typed as strings/numbers; `raw()` may have added anything. */
  toFields(): CommandFields {
    return { ...this.#fields } as CommandFields;
  }

  toJSON(): CommandFields {
    return this.toFields();
  }

  #control(prefix: string, group: Component | null): SolarControl & StorageControl & SwitchedControl & VariablePowerLoadControl & SiteControl & DeviceControl {
    const set = (policy: string, setpointW?: number): CommandBuilder => {
      writePolicy(this.#fields, prefix, group, policy, setpointW);
      return this;
    };
    return {
      setpoint: (w: number) => set('setpoint', w),
      limit: (w: number) => set('limit', w),
      feedInLimitation: () => set('feed_in_limitation'),
      cost: () => set('cost'),
      selfConsumption: () => set('self_consumption'),
      off: () => set('off'),
      passive: () => set('passive'),
      powerOn: () => set('power_on'),
      powerOff: () => set('power_off'),
      default: () => set('default'),
      fallback: () => set('fallback'),
    };
  }
}

/** Starts a command: `cmd().storage.setpoint(-5000).solar.setpoint(0)`. */
export function cmd(): CommandBuilder {
  return new CommandBuilder();
}

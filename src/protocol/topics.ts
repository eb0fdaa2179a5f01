/** Topic builders [live §2, scheduled §Topics]. Prefixes are configurable for white-label deployments. */
export interface TopicPrefixes {
  /** Default `standard1/rp_one_s/remoteControlMetrics`. */
  command: string;
  /** Default `standard1/outbound/remoteControlMetrics/feedback`. */
  feedback: string;
  /** Default `standard1/rp_one_s/remoteControlSchedules`. */
  schedule: string;
  /** Retained online/offline status (ours). Default `gridpilot/status`. */
  status: string;
  /** Day-ahead prices pushed by the integrator for the `cost` policy (ours). Default `gridpilot/prices`. */
  prices: string;
}

export const DEFAULT_TOPIC_PREFIXES: TopicPrefixes = {
  command: 'standard1/rp_one_s/remoteControlMetrics',
  feedback: 'standard1/outbound/remoteControlMetrics/feedback',
  schedule: 'standard1/rp_one_s/remoteControlSchedules',
  status: 'gridpilot/status',
  prices: 'gridpilot/prices',
};

export interface SiteTopics {
  command: string;
  feedback: string;
  schedule: string;
  status: string;
  prices: string;
}

export function topicsFor(serial: string, prefixes: Partial<TopicPrefixes> = {}): SiteTopics {
  const p = { ...DEFAULT_TOPIC_PREFIXES, ...prefixes };
  const join = (prefix: string): string => `${prefix.replace(/\/+$/, '')}/${serial}`;
  return { command: join(p.command), feedback: join(p.feedback), schedule: join(p.schedule), status: join(p.status), prices: join(p.prices) };
}

/** `<SN>_site_0` [live §3]. */
export function siteNodeIdFor(serial: string): string {
  return `${serial}_site_0`;
}

/** Topic prefixes as a parsed config gives them (absent or undefined = the protocol default). */
export type TopicPrefixesInput = { [K in keyof TopicPrefixes]?: string | undefined };

/** Drops unset entries (config objects carry `undefined` for keys not given), so they do not override the defaults in topicsFor. */
export function definedPrefixes(p: TopicPrefixesInput | undefined): Partial<TopicPrefixes> {
  const out: Partial<TopicPrefixes> = {};
  for (const key of Object.keys(DEFAULT_TOPIC_PREFIXES) as Array<keyof TopicPrefixes>) {
    const v = p?.[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

import assert from 'node:assert/strict';
import { resolveSiteConfig } from '../../src/site/site-config.ts';

/** The message a site config is refused with (as from `site.yaml`); fails the test when it is accepted. */
export function configProblems(input: unknown): string {
  try {
    resolveSiteConfig(input, 'site.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail('expected the config to be refused');
}

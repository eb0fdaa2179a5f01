import { errorMessage, GridpilotError } from '../core/errors.ts';
import { resolveSiteConfig } from '../site/site-config.ts';
import type { ErrorDetail } from './http-errors.ts';

/** `POST /api/config/validate`'s answer. */
export type ConfigCheck = { ok: true } | { ok: false; errors: ErrorDetail[] };

/**
 * Validates a site config with the same `resolveSiteConfig` the app loads it with (schema, then
 * impossible combinations), and lists every problem with its path. Changes nothing.
 */
export function checkSiteConfig(input: unknown): ConfigCheck {
  try {
    resolveSiteConfig(input, 'config');
    return { ok: true };
  } catch (err) {
    return { ok: false, errors: problemsOf(err) };
  }
}

/**
 * resolveSiteConfig reports one problem per line, `  <path>: <message>` (see site-config.ts);
 * a message that does not follow that form is reported whole against the root.
 */
function problemsOf(err: unknown): ErrorDetail[] {
  const text = errorMessage(err);
  if (err instanceof GridpilotError) {
    const problems = text
      .split('\n')
      .filter((line) => line.startsWith('  '))
      .map((line) => {
        const trimmed = line.trim();
        const at = trimmed.indexOf(': ');
        if (at <= 0) return { path: '$', message: trimmed };
        const path = trimmed.slice(0, at);
        return { path: path === '(root)' ? '$' : path, message: trimmed.slice(at + 2) };
      });
    if (problems.length) return problems;
  }
  return [{ path: '$', message: text }];
}

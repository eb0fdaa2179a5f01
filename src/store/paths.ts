/**
 * Where the store lives unless told otherwise: `.gridpilot/` in the current directory (gitignored
 * in this repository), so a demo started from a checkout keeps its state beside it and
 * `gridpilot log` / `gridpilot schedule show` run from the same directory find it.
 * `--data-dir` or `$GRIDPILOT_DATA_DIR` choose another (e.g. `/var/lib/gridpilot` for a service).
 */
export const DEFAULT_DATA_DIR = '.gridpilot';

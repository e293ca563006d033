import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// Debian's systemd-analyze (package systemd), for checking unit files without booting
// them. Missing: the tests skip with a notice, except in CI, where .ci/run installs it.

export const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

export function hasSystemdAnalyze(): boolean {
  if (existsSync(SYSTEMD_ANALYZE)) return true;
  if (process.env.CI === 'true') throw new Error(`${SYSTEMD_ANALYZE} is missing; CI must install Debian's systemd package (.ci/run)`);
  console.warn(`NOTICE: ${SYSTEMD_ANALYZE} not found (apt-get install systemd); unit file checks are skipped`);
  return false;
}

/**
 * `systemd-analyze verify` on one unit file. It exits 0 even for unknown or
 * unparsable settings, which it only prints, so anything printed counts as a problem.
 */
export function verifyUnit(file: string): { status: number | null; output: string } {
  const result = spawnSync(SYSTEMD_ANALYZE, ['verify', '--man=no', file], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

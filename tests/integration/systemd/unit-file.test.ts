import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROSTER_KEY_CREDENTIAL } from '../../../gateway/identity/roster-key.js';
import { PACKAGE_ROOT } from '../../../gateway/package-root.js';
import { hasSystemdAnalyze, SYSTEMD_ANALYZE, verifyUnit } from '../../support/systemd-analyze.js';

// systemd/vitrin.service as systemd itself reads it. `systemd-analyze verify` checks
// that ExecStart's program exists, and the unit names /usr/bin/node, which a CI
// machine may have elsewhere (install.sh writes the real path when it installs the
// unit). So the test verifies a copy whose ExecStart names the node running the test;
// nothing else is changed. The installed unit is verified by install-scripts.test.ts.

const UNIT = readFileSync(join(PACKAGE_ROOT, 'systemd', 'vitrin.service'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'vitrin-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function copyWithNode(text: string, name = 'vitrin.service'): string {
  const file = join(dir, name);
  writeFileSync(file, text.replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `));
  return file;
}

/** Every value of a setting in the [Service] section (some settings repeat). */
function values(key: string): string[] {
  return [...UNIT.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);
}

const analyze = hasSystemdAnalyze();

describe.skipIf(!analyze)('systemd/vitrin.service under systemd-analyze', () => {
  it('verifies without a word: no unknown setting, no bad value, ExecStart runnable', () => {
    expect(UNIT).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/vitrin\/dist\/gateway\/bin\.js start --config \/etc\/vitrin\/config\.yaml$/m);
    expect(verifyUnit(copyWithNode(UNIT))).toEqual({ status: 0, output: '' });
  });

  it('would notice a broken unit (verify only prints most problems, so output is what counts)', () => {
    const broken = verifyUnit(copyWithNode(UNIT.replace('ProtectSystem=strict', 'ProtectSystem=sometimes'), 'broken.service'));
    expect(broken.output).toContain('sometimes');
    const missing = join(dir, 'missing.service');
    writeFileSync(missing, UNIT.replace('ExecStart=/usr/bin/node ', 'ExecStart=/nonexistent/node '));
    expect(verifyUnit(missing).output).toContain('/nonexistent/node');
  });

  it('rates as well hardened in systemd-analyze security (exposure 3.0 or less)', () => {
    const help = spawnSync(SYSTEMD_ANALYZE, ['security', '--help'], { encoding: 'utf8' });
    if (!`${help.stdout}${help.stderr}`.includes('--offline')) return; // systemd < 250 cannot rate a unit file offline
    const result = spawnSync(SYSTEMD_ANALYZE, ['security', '--offline=true', '--threshold=30', copyWithNode(UNIT, 'rated.service')], { encoding: 'utf8' });
    const level = /Overall exposure level for rated\.service: ([\d.]+)/.exec(result.stdout)?.[1];
    expect(Number(level), result.stdout).toBeLessThanOrEqual(3);
    expect(result.status).toBe(0);
  });
});

describe('systemd/vitrin.service settings', () => {
  it.each([
    ['Type', 'notify'],
    ['NotifyAccess', 'main'],
    ['Restart', 'on-failure'],
    ['User', 'vitrin'],
    ['Group', 'vitrin'],
    ['StateDirectory', 'vitrin'],
    ['ConfigurationDirectory', 'vitrin'],
    ['LoadCredential', `${ROSTER_KEY_CREDENTIAL}:/etc/vitrin/roster-key`],
    ['AmbientCapabilities', 'CAP_NET_RAW CAP_NET_ADMIN'],
    ['CapabilityBoundingSet', 'CAP_NET_RAW CAP_NET_ADMIN'],
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    ['ProtectHome', 'yes'],
    ['PrivateTmp', 'yes'],
    ['ProtectKernelTunables', 'yes'],
    ['ProtectKernelModules', 'yes'],
    ['ProtectControlGroups', 'yes'],
    ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_BLUETOOTH'],
  ])('%s=%s', (key, value) => {
    expect(values(key)).toEqual([value]);
  });

  it('has a watchdog the gateway feeds (it beats at half WatchdogSec), a memory cap, and its data where StateDirectory puts it', () => {
    expect(Number(values('WatchdogSec')[0])).toBeGreaterThanOrEqual(10);
    expect(values('MemoryMax')[0]).toMatch(/^\d+[MG]$/);
    expect(values('Environment')).toContain('VITRIN_DATA__DIR=/var/lib/vitrin');
  });

  it('leaves out what would break Node or the HCI socket', () => {
    for (const key of ['MemoryDenyWriteExecute', 'PrivateUsers', 'PrivateNetwork', 'ReadWritePaths']) expect(values(key), key).toEqual([]);
  });
});

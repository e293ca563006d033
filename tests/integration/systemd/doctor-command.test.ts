import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorCheck } from '../../../gateway/doctor/host.js';
import { PACKAGE_ROOT } from '../../../gateway/package-root.js';
import { freePort } from '../../support/free-port.js';

// `vitrin doctor` as store IT runs it, on whatever machine runs the tests: the real
// probes of /sys, /proc, the HCI socket, the clock, the ports and the shipped model.
// CI machines and this project's development machine have no Bluetooth adapter, and
// the doctor must say so with the fix; where one is present it must find it.

const ADAPTERS = existsSync('/sys/class/bluetooth') ? readdirSync('/sys/class/bluetooth').filter((name) => /^hci\d+$/.test(name)) : [];
const dataDir = mkdtempSync(join(tmpdir(), 'vitrin-doctor-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

let ports: Record<string, string> = {};
beforeAll(async () => {
  ports = { VITRIN_HTTP__PORT: String(await freePort()), VITRIN_MQTT__EMBEDDED__PORT: String(await freePort()) };
});

function doctor(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'gateway/bin.ts', 'doctor', ...args], {
    cwd: PACKAGE_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, VITRIN_DATA__DIR: dataDir, VITRIN_HTTP__HOST: '127.0.0.1', ...ports, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function report(stdout: string): { ok: boolean; checks: DoctorCheck[] } {
  return JSON.parse(stdout) as { ok: boolean; checks: DoctorCheck[] };
}

describe('vitrin doctor on this machine', () => {
  it('runs every check and reports the Bluetooth adapter as it finds it (demo mode: warnings only)', () => {
    const run = doctor(['--json']);
    expect(run.stderr).toBe('');
    const { ok, checks } = report(run.stdout);
    expect(checks.map((c) => c.id)).toEqual([
      'runtime', 'config', 'bluetooth.adapter', 'bluetooth.rfkill', 'bluetooth.permission', 'bluetooth.binding',
      'clock', 'broker', 'service', 'cloud', 'disk', 'model', 'roster.key',
    ]);
    for (const check of checks) {
      expect(['ok', 'warn', 'fail']).toContain(check.status);
      if (check.status !== 'ok') expect(check.fix, check.id).toMatch(/\S/);
    }
    expect(checks.find((c) => c.id === 'model')).toMatchObject({ status: 'ok', detail: expect.stringContaining('propensity') });
    expect(checks.find((c) => c.id === 'broker')).toMatchObject({ status: 'ok' });
    const adapter = checks.find((c) => c.id === 'bluetooth.adapter')!;
    if (ADAPTERS.length === 0) {
      expect(adapter).toMatchObject({ status: 'warn', detail: expect.stringMatching(/no Bluetooth adapter: \/sys\/class\/bluetooth (does not exist|is empty)/), fix: expect.stringContaining('plug in the USB Bluetooth adapter') });
      expect(adapter.detail).toContain('demo mode runs the simulated store instead');
    } else if (ADAPTERS.includes('hci0')) {
      expect(adapter).toMatchObject({ status: 'ok', detail: expect.stringContaining('hci0') });
    }
    expect(run.status).toBe(ok ? 0 : 1);
  });

  it.skipIf(ADAPTERS.length > 0)('in production mode, exits 1 on the missing adapter and prints its fix', () => {
    const run = doctor([], { VITRIN_MODE: 'production', VITRIN_ROSTER_KEY: 'cd'.repeat(32) });
    expect(run.status).toBe(1);
    const lines = run.stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith('FAIL  bluetooth.adapter'));
    expect(at, run.stdout).toBeGreaterThan(0);
    expect(lines[at]).toContain('(VITRIN_ERR_BLE_ADAPTER); the gateway cannot start');
    expect(lines[at + 1]).toMatch(/^ +fix: plug in the USB Bluetooth adapter/);
    expect(run.stdout).toMatch(/\d+ failed, \d+ warnings?: the gateway cannot run as configured until the failures are fixed\.\n$/);
    expect(run.stdout).not.toContain('cd'.repeat(32));
  });
});

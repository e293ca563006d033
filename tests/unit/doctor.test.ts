import { describe, expect, it } from 'vitest';
import { runCli } from '../../gateway/cli/vitrin.js';
import type { DoctorCheck, DoctorHost } from '../../gateway/doctor/host.js';
import type { ModelCheckReport } from '../../gateway/scoring/manifest.js';

// The doctor's reasoning on made-up machines: what each fact turns into, with which
// fix, and when the exit code says operation is blocked.

const CAPS = (1n << 12n) | (1n << 13n);

/** A healthy Raspberry Pi with one adapter, unless a test says otherwise. */
function host(overrides: Partial<DoctorHost> = {}): DoctorHost {
  return {
    node: { version: '20.19.0', arch: 'arm64', platform: 'linux' },
    bluetoothAdapters: () => ['hci0'],
    bluetoothRfkill: () => [{ name: 'rfkill0', soft: false, hard: false }],
    processCapabilities: () => ({ uid: 0, effective: CAPS }),
    hciSocket: () => ({ devices: [{ id: 0, up: true }] }),
    bluez: () => ({ systemBus: true, bluetoothd: true }),
    clock: () => Promise.resolve({ synchronised: true, source: 'timedatectl' }),
    tcpConnect: () => Promise.resolve(undefined),
    canListen: () => Promise.resolve(undefined),
    httpGet: () => Promise.resolve({ status: 200, body: '{"status":"ready"}' }),
    diskSpace: (path) => Promise.resolve({ path, freeBytes: 20 * 2 ** 30, totalBytes: 30 * 2 ** 30 }),
    fileAccess: () => undefined,
    readText: () => undefined,
    ...overrides,
  };
}

const goodModel = (): Promise<ModelCheckReport> =>
  Promise.resolve({ ok: true, file: 'model.onnx', inputs: [], outputs: [], batch: 'dynamic', probability: 'column 1', manifest: { id: 'propensity', version: '2.0.0', sha256: 'match' }, problems: [] });

async function doctor(machine: DoctorHost, env: Record<string, string> = {}, extra: string[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['doctor', '--json', ...extra], {
    startGateway: () => Promise.reject(new Error('not in this test')),
    doctorHost: () => machine,
    checkModel: goodModel,
    env: { VITRIN_DATA__DIR: '/var/lib/vitrin', ...env },
    io: { out: (l) => out.push(l), err: (l) => err.push(l) },
  });
  const report = JSON.parse(out.join('\n')) as { ok: boolean; checks: DoctorCheck[] };
  const check = (id: string) => report.checks.find((c) => c.id === id);
  return { code, report, check, err };
}

const PRODUCTION = { VITRIN_MODE: 'production', VITRIN_ROSTER_KEY: 'ab'.repeat(32) };

describe('vitrin doctor', () => {
  it('passes a healthy production box: exit 0, every check ok, the JSON shape of the contract', async () => {
    const { code, report, err } = await doctor(host(), PRODUCTION);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.id)).toEqual([
      'runtime', 'config', 'bluetooth.adapter', 'bluetooth.rfkill', 'bluetooth.permission', 'bluetooth.binding',
      'clock', 'broker', 'service', 'cloud', 'disk', 'model', 'roster.key',
    ]);
    for (const check of report.checks) {
      expect(check.status).toBe('ok');
      expect(Object.keys(check).sort()).toEqual(['detail', 'id', 'status']);
    }
    expect(JSON.stringify(report)).not.toContain('ab'.repeat(32));
  });

  it('fails in production without an adapter, and says how to fix it; demo mode only warns', async () => {
    const missing = host({ bluetoothAdapters: () => undefined, hciSocket: () => ({ socketError: 'EAFNOSUPPORT: Address family not supported by protocol', devices: [] }) });
    const production = await doctor(missing, PRODUCTION);
    expect(production.code).toBe(1);
    expect(production.report.ok).toBe(false);
    expect(production.check('bluetooth.adapter')).toMatchObject({ status: 'fail', detail: expect.stringContaining('/sys/class/bluetooth does not exist'), fix: expect.stringContaining('plug in the USB Bluetooth adapter') });
    expect(production.check('bluetooth.binding')).toMatchObject({ status: 'fail', detail: expect.stringContaining('EAFNOSUPPORT'), fix: expect.stringContaining('modprobe bluetooth') });

    const demo = await doctor(missing);
    expect(demo.code).toBe(0);
    expect(demo.check('bluetooth.adapter')).toMatchObject({ status: 'warn', detail: expect.stringContaining('simulated store') });
  });

  it('names a configured adapter that is missing, one that is down, and a blocked radio', async () => {
    const two = { ...PRODUCTION, VITRIN_BLE__ADAPTERS: '[{device: 0, receiver: rx-floor}, {device: 1, receiver: rx-entrance}]' };
    const { check } = await doctor(host({ hciSocket: () => ({ devices: [{ id: 0, up: false }] }), bluetoothRfkill: () => [{ name: 'rfkill0', soft: true, hard: false }] }), two);
    expect(check('bluetooth.adapter')).toMatchObject({ status: 'fail', detail: expect.stringContaining('hci1 (receiver rx-entrance) not present; present: hci0') });
    expect(check('bluetooth.binding')).toMatchObject({ status: 'fail', detail: expect.stringContaining('hci0 is down'), fix: expect.stringContaining('hciconfig hci0 up') });
    expect(check('bluetooth.rfkill')).toMatchObject({ status: 'fail', fix: 'sudo rfkill unblock bluetooth (systemd-rfkill remembers the state across reboots)' });
  });

  it('reads CapEff: without CAP_NET_RAW and CAP_NET_ADMIN it fails, unless the installed unit grants them', async () => {
    const user = { processCapabilities: () => ({ uid: 1000, effective: 1n << 13n }) };
    const bare = await doctor(host(user), PRODUCTION);
    expect(bare.check('bluetooth.permission')).toMatchObject({ status: 'fail', fix: expect.stringContaining('AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN') });
    const unit = 'AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN\n';
    const installed = await doctor(host({ ...user, readText: (p) => (p === '/etc/systemd/system/vitrin.service' ? unit : undefined) }), PRODUCTION);
    expect(installed.check('bluetooth.permission')).toMatchObject({ status: 'warn', fix: 'run the doctor as root: sudo vitrin doctor' });
    const dbus = await doctor(host(user), { ...PRODUCTION, VITRIN_BLE__BINDING: 'dbus' });
    expect(dbus.check('bluetooth.permission')).toBeUndefined();
    expect(dbus.check('bluetooth.binding')).toMatchObject({ status: 'ok' });
  });

  it('warns about an unsynchronised or unknown clock, with the reason EIDs care', async () => {
    const off = await doctor(host({ clock: () => Promise.resolve({ synchronised: false, source: 'timedatectl' }) }), PRODUCTION);
    expect(off.code).toBe(0);
    expect(off.check('clock')).toMatchObject({ status: 'warn', detail: expect.stringContaining('1024 s'), fix: expect.stringContaining('timedatectl set-ntp true') });
    const unknown = await doctor(host({ clock: () => Promise.resolve({ synchronised: undefined, source: 'unknown' }) }), PRODUCTION);
    expect(unknown.check('clock')).toMatchObject({ status: 'warn', detail: expect.stringContaining('cannot tell') });
  });

  it('tells a running gateway from another program on the ports', async () => {
    const taken = { canListen: () => Promise.resolve('EADDRINUSE') };
    const running = await doctor(host(taken), PRODUCTION);
    expect(running.check('broker')).toMatchObject({ status: 'ok', detail: expect.stringContaining('in the running gateway') });
    const stranger = await doctor(host({ ...taken, httpGet: () => Promise.resolve(undefined) }), PRODUCTION);
    expect(stranger.check('broker')).toMatchObject({ status: 'fail', fix: expect.stringContaining("ss -ltnp 'sport = :1883'") });
    expect(stranger.check('service')).toMatchObject({ status: 'fail', detail: expect.stringContaining('http.port 8080 is taken') });
    const notReady = await doctor(host({ httpGet: () => Promise.resolve({ status: 503, body: '{"status":"not-ready","checks":{"broker":true,"radio":false}}' }) }), PRODUCTION);
    expect(notReady.check('service')).toMatchObject({ status: 'warn', detail: expect.stringContaining('not ready: radio down') });
  });

  it('connects to an external broker and the cloud; an unreachable cloud only warns', async () => {
    const refused = { tcpConnect: (h: string) => Promise.resolve(h === 'sync.example.com' || h === '10.0.0.5' ? 'ECONNREFUSED' : undefined) };
    const { code, check } = await doctor(host(refused), { ...PRODUCTION, VITRIN_MQTT__URL: 'mqtt://10.0.0.5', VITRIN_CLOUD__URL: 'https://sync.example.com' });
    expect(code).toBe(1);
    expect(check('broker')).toMatchObject({ status: 'fail', detail: expect.stringContaining('10.0.0.5:1883 (ECONNREFUSED)') });
    expect(check('cloud')).toMatchObject({ status: 'warn', detail: expect.stringContaining('sync.example.com:443 (ECONNREFUSED)'), fix: expect.stringContaining('getent hosts sync.example.com') });
  });

  it('checks disk space, the model and the roster key', async () => {
    const full = await doctor(
      host({ diskSpace: (path) => Promise.resolve({ path, freeBytes: 50 * 2 ** 20, totalBytes: 8 * 2 ** 30 }) }),
      { VITRIN_MODE: 'production', VITRIN_ROSTER_KEY: 'not hex' },
    );
    expect(full.check('disk')).toMatchObject({ status: 'fail', detail: expect.stringContaining('50 MiB free of 8.0 GiB') });
    expect(full.check('roster.key')).toMatchObject({ status: 'fail', detail: expect.stringContaining('VITRIN_ERR_ROSTER_KEY') });
    expect(JSON.stringify(full.report)).not.toContain('not hex');
    const none = await doctor(host(), { VITRIN_MODE: 'production' });
    expect(none.check('roster.key')).toMatchObject({ status: 'fail', fix: expect.stringContaining('openssl rand -hex 32 > /etc/vitrin/roster-key') });

    const out: string[] = [];
    await runCli(['doctor', '--json'], {
      startGateway: () => Promise.reject(new Error('not in this test')),
      doctorHost: () => host(),
      checkModel: () => Promise.resolve({ ok: false, code: 'VITRIN_ERR_MODEL_CHECKSUM', file: 'model.onnx', inputs: [], outputs: [], batch: null, probability: null, problems: ['sha256 differs'] }),
      env: PRODUCTION,
      io: { out: (l) => out.push(l), err: () => undefined },
    });
    const model = (JSON.parse(out.join('')) as { checks: DoctorCheck[] }).checks.find((c) => c.id === 'model');
    expect(model).toMatchObject({ status: 'fail', detail: expect.stringContaining('VITRIN_ERR_MODEL_CHECKSUM'), fix: expect.stringContaining('vitrin model check') });
  });

  it('reports an invalid config with its problems and still checks the machine', async () => {
    const { code, check, report } = await doctor(host(), { VITRIN_HTTP__PORT: 'eighty' });
    expect(code).toBe(1);
    expect(check('config')).toMatchObject({ status: 'fail', detail: expect.stringContaining('/http/port: must be integer') });
    expect(report.checks.map((c) => c.id)).toEqual(['runtime', 'config', 'clock']);
  });

  it('checks only the radio and the broker on a receiver box', async () => {
    const { code, report } = await doctor(host(), { VITRIN_BLE__MODE: 'receiver', VITRIN_MQTT__URL: 'mqtts://gw.lan:8883', VITRIN_MQTT__USERNAME: 'receiver.rx-floor', VITRIN_MQTT__PASSWORD: 'pw' });
    expect(code).toBe(0);
    expect(report.checks.map((c) => c.id)).toEqual(['runtime', 'config', 'bluetooth.adapter', 'bluetooth.rfkill', 'bluetooth.permission', 'bluetooth.binding', 'clock', 'broker']);
  });

  it('prints one line per check, the fix under each problem, and a verdict', async () => {
    const out: string[] = [];
    const code = await runCli(['doctor'], {
      startGateway: () => Promise.reject(new Error('not in this test')),
      doctorHost: () => host({ bluetoothAdapters: () => [] }),
      checkModel: goodModel,
      env: PRODUCTION,
      io: { out: (l) => out.push(l), err: () => undefined },
    });
    expect(code).toBe(1);
    expect(out[0]).toBe('vitrin doctor: the defaults (no --config, no VITRIN_CONFIG)');
    const at = out.findIndex((l) => l.startsWith('FAIL  bluetooth.adapter'));
    expect(out[at]).toContain('/sys/class/bluetooth is empty');
    expect(out[at + 1]).toMatch(/^ +fix: plug in the USB Bluetooth adapter/);
    expect(out.at(-1)).toBe('1 failed, 0 warnings: the gateway cannot run as configured until the failures are fixed.');
  });
});

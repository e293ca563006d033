import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../gateway/package-root.js';
import { freePort } from '../support/free-port.js';

// The gateway as store IT runs it: the built service on embedded defaults, no broker,
// no radio. Only ports and the data folder are moved so tests can run side by side.

interface DgramServer {
  bind(path: string): void;
  close(): void;
}
const unixDgram = createRequire(import.meta.url)('unix-dgram') as {
  createSocket(type: 'unix_dgram', listener: (buf: Buffer) => void): DgramServer;
};

interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const value = check();
      if (value !== undefined) {
        clearInterval(timer);
        resolve(value);
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 100);
  });
}

describe('npm start on a fresh machine (embedded broker, simulated store)', () => {
  let service: ChildProcess;
  let client: MqttClient;
  let output = '';
  let httpBase = '';
  let dataDir = '';
  const received: Received[] = [];
  // Plays systemd: the service is started with NOTIFY_SOCKET and WATCHDOG_USEC as under Type=notify.
  const notifications: string[] = [];
  let notifySocket: DgramServer | undefined;

  beforeAll(async () => {
    execFileSync(join(PACKAGE_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: PACKAGE_ROOT, stdio: 'inherit' });
    const mqttPort = await freePort();
    const httpPort = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), 'vitrin-e2e-'));
    httpBase = `http://127.0.0.1:${httpPort}`;
    const notifyPath = join(dataDir, 'notify.sock');
    notifySocket = unixDgram.createSocket('unix_dgram', (buf) => notifications.push(buf.toString()));
    notifySocket.bind(notifyPath);
    service = spawn(process.execPath, ['dist/gateway/bin.js', 'start'], {
      cwd: PACKAGE_ROOT,
      env: {
        PATH: process.env.PATH,
        VITRIN_MQTT__EMBEDDED__PORT: String(mqttPort),
        VITRIN_HTTP__PORT: String(httpPort),
        VITRIN_HTTP__HOST: '127.0.0.1',
        VITRIN_DATA__DIR: dataDir,
        NOTIFY_SOCKET: notifyPath,
        WATCHDOG_USEC: '2000000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    service.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('the gateway to say it is running', 30_000, () => (output.includes('Vitrin is running') ? true : undefined));
    client = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'e2e-observer', reconnectPeriod: 200 });
    client.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), retain: packet.retain }));
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await client.subscribeAsync('vitrin/demo-store/#', { qos: 1 });
  }, 120_000);

  afterAll(async () => {
    await client?.endAsync(true);
    if (service?.exitCode === null) service.kill('SIGKILL');
    notifySocket?.close();
  });

  it('tells systemd it is ready, and keeps the watchdog fed', async () => {
    await waitFor('READY=1', 10_000, () => notifications.find((n) => n.startsWith('READY=1')));
    expect(notifications.find((n) => n.startsWith('READY=1'))).toContain('SIMULATED');
    await waitFor('a watchdog heartbeat', 10_000, () => notifications.find((n) => n === 'WATCHDOG=1'));
  });

  it('announces itself: retained gateway/state online and gateway/info without secrets', async () => {
    const state = await waitFor('retained state', 10_000, () => received.find((m) => m.topic === 'vitrin/demo-store/gateway/state'));
    expect(state).toMatchObject({ payload: 'online', retain: true });
    const info = await waitFor('retained info', 10_000, () => received.find((m) => m.topic === 'vitrin/demo-store/gateway/info'));
    expect(JSON.parse(info.payload)).toMatchObject({ storeId: 'demo-store', simulated: true, model: { id: 'propensity' }, configDigest: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(output).toContain('SIMULATED STORE');
  });

  it('puts a simulated member card on the till topic within 60 s', async () => {
    const card = await waitFor('a card on pos/till-1/cards', 60_000, () =>
      received.find((m) => m.topic === 'vitrin/demo-store/pos/till-1/cards' && m.payload.includes('"type":"card"')),
    );
    expect(JSON.parse(card.payload)).toMatchObject({ schema: 'vitrin.card/1', presence: { zoneId: 'pos-1' }, model: { id: 'propensity', version: '2.0.0' } });
  }, 70_000);

  it('serves health, readiness, metrics and the labelled advisor page', async () => {
    expect((await fetch(`${httpBase}/healthz`)).status).toBe(200);
    expect((await fetch(`${httpBase}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${httpBase}/metrics`)).text();
    expect(metrics).toMatch(/^vitrin_advertisements_total\{result="member"\} [1-9]/m);
    expect(metrics).toMatch(/^vitrin_cards_total\{outcome="shown"\} [1-9]/m);
    const page = await (await fetch(`${httpBase}/advisor`)).text();
    expect(page).toContain('Simulated store');
    // Demo mode, no admin token: the admin API answers this machine, so a tablet can be paired here.
    expect((await fetch(`${httpBase}/advisor/cards`)).status).toBe(401);
    const made = (await (await fetch(`${httpBase}/admin/pairing-codes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ zones: ['pos-1', 'floor'] }) })).json()) as { code: string };
    const paired = await fetch(`${httpBase}/advisor/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: made.code }) });
    const cookie = paired.headers.get('set-cookie')!.split(';')[0]!;
    const { cards } = (await (await fetch(`${httpBase}/advisor/cards`, { headers: { cookie } })).json()) as { cards: unknown[] };
    expect(cards.length).toBeGreaterThan(0);
  });

  it('stops cleanly on SIGTERM: state goes offline, events are on disk, exit code 0', async () => {
    const exited = new Promise<number | null>((resolve) => service.once('exit', (code) => resolve(code)));
    service.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(notifications).toContain('STOPPING=1');
    await waitFor('offline state', 10_000, () =>
      received.find((m) => m.topic === 'vitrin/demo-store/gateway/state' && m.payload === 'offline'),
    );
    expect(existsSync(join(dataDir, 'vitrin.db'))).toBe(true);
    const db = new Database(join(dataDir, 'vitrin.db'), { readonly: true });
    const types = db.prepare('SELECT DISTINCT type FROM events').pluck().all();
    db.close();
    expect(types).toEqual(expect.arrayContaining(['entered-store', 'dwelling', 'card-shown']));
    expect(output).toContain('Vitrin stopped');
  });
});

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config/load.js';
import { startGateway, type RunningGateway } from '../../gateway/main.js';
import { PACKAGE_ROOT } from '../../gateway/package-root.js';

// Hot swap as store IT does it: new files in model.dir, then POST /admin/model/reload
// (or gateway/request/model-reload). A broken package is refused with its code and the
// model in use stays; a good one is in use at once, and gateway/info and /metrics say so.

const TOKEN = 'model-swap-test-token-0123456789';

describe('model hot swap in the running gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-model-swap-'));
  const modelDir = join(dir, 'model');
  let gateway: RunningGateway;
  const reload = () => fetch(`${gateway.httpUrl}/admin/model/reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
  const info = async () => {
    const client = await mqtt.connectAsync(gateway.mqttUrl);
    const message = new Promise<string>((resolve) => client.on('message', (_t, payload) => resolve(payload.toString())));
    await client.subscribeAsync('vitrin/demo-store/gateway/info');
    const text = await message;
    await client.endAsync();
    return JSON.parse(text) as { model: { version: string } };
  };

  beforeAll(async () => {
    cpSync(join(PACKAGE_ROOT, 'models', 'propensity'), modelDir, { recursive: true });
    const env = { VITRIN_DATA__DIR: join(dir, 'data'), VITRIN_MODEL__DIR: modelDir, VITRIN_HTTP__PORT: '0', VITRIN_HTTP__HOST: '127.0.0.1', VITRIN_MQTT__EMBEDDED__PORT: '0', VITRIN_BLE__SOURCE: 'simulator', VITRIN_HTTP__ADMINTOKEN: TOKEN };
    gateway = await startGateway({ loaded: loadConfig({ env }), env, log: pino({ level: 'silent' }) });
  }, 30_000);

  afterAll(async () => {
    await gateway.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a package whose model does not match its checksum, and keeps the model in use', async () => {
    const good = readFileSync(join(modelDir, 'model.onnx'));
    writeFileSync(join(modelDir, 'model.onnx'), good.subarray(0, good.length - 10));
    const response = await reload();
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ code: 'VITRIN_ERR_MODEL_CHECKSUM' });
    expect((await info()).model.version).toBe('2.0.0');
    writeFileSync(join(modelDir, 'model.onnx'), good);
  });

  it('puts a good new package in use and says so in gateway/info and /metrics', async () => {
    const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    const bytes = readFileSync(join(modelDir, 'model.onnx'));
    writeFileSync(join(modelDir, 'manifest.json'), JSON.stringify({ ...manifest, version: '2.1.0', sha256: createHash('sha256').update(bytes).digest('hex') }));
    const response = await reload();
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ model: { id: 'propensity', version: '2.1.0' } });
    expect((await info()).model.version).toBe('2.1.0');
    const metrics = await (await fetch(`${gateway.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/vitrin_model_info\{id="propensity",version="2\.1\.0",sha256="[0-9a-f]{12}"\} 1/);
    expect(metrics).not.toContain('version="2.0.0"');
  });

  it('refuses the reload without the admin token', async () => {
    expect((await fetch(`${gateway.httpUrl}/admin/model/reload`, { method: 'POST' })).status).toBe(401);
  });
});

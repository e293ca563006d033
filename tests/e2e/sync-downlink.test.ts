import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config/load.js';
import type { PackageEnvelope, PackageKind } from '../../gateway/contracts/sync.js';
import { demoRoster } from '../../gateway/identity/demo-roster.js';
import { recordFromMember } from '../../gateway/identity/roster-file.js';
import { startGateway, type RunningGateway } from '../../gateway/main.js';
import { PACKAGE_ROOT } from '../../gateway/package-root.js';
import { signPackage } from '../../gateway/sync/package-signature.js';
import { TestCloud } from '../support/test-cloud.js';

// Signed packages into the running gateway, on demand through gateway/request/sync:
// a roster delta (members added, a consent withdrawal and a removal erased with
// receipts), a catalog and a model are verified and applied; a tampered, a replayed
// and a downgraded package are refused, reported in health and metrics, and told to
// the cloud as uplink records.

const STORE = 'demo-store';
const signer = generateKeyPairSync('ed25519');
const publicKey = signer.publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
const sign = (kind: PackageKind, version: number, body: unknown) => signPackage({ kind, storeId: STORE, version, body: Buffer.from(JSON.stringify(body)) }, signer.privateKey);

const template = recordFromMember(demoRoster(77, 1, 10).members[0]!);
const member = (id: string, presence = true) => ({ ...template, id, identityKey: randomBytes(16).toString('hex'), consent: { ...template.consent, presence } });
const catalog = (title: string) => ({
  schema: 'vitrin.catalog/1',
  items: [{ sku: 'SN-1', title, category: 'shoes', price: 100 }],
  stock: [{ sku: 'SN-1', quantity: 3, location: 'aisle 9' }],
  offers: [],
});
const modelFiles = join(PACKAGE_ROOT, 'models', 'propensity');
const modelPackage = (version: string, bytes = readFileSync(join(modelFiles, 'model.onnx'))) => ({
  schema: 'vitrin.model-package/1',
  manifest: { ...(JSON.parse(readFileSync(join(modelFiles, 'manifest.json'), 'utf8')) as Record<string, unknown>), version },
  model: bytes.toString('base64'),
});

describe('signed downlink packages in the running gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-downlink-'));
  const dataDir = join(dir, 'data');
  /** What the cloud offers: the newest packages after the versions the gateway names, plus anything in `forced`. */
  const published: PackageEnvelope[] = [];
  let forced: unknown[] = [];
  /** When set, the cloud answers this instead of a package list. */
  let answerInstead: unknown;
  const cloud = new TestCloud({
    packages: (query) => {
      if (answerInstead !== undefined) return answerInstead;
      const fresh = published.filter((p) => p.version > Number(query.get(p.kind) ?? '0'));
      const all = [...fresh, ...forced];
      return all.length === 0 ? undefined : { schema: 'vitrin.package-list/1', packages: all };
    },
  });
  let gateway: RunningGateway;
  let client: MqttClient;
  const responses: { transaction: string; status: string; data?: Record<string, unknown>; error?: { code: string } }[] = [];

  const request = async (op: string, transaction: string) => {
    await client.publishAsync(`vitrin/${STORE}/gateway/request/${op}`, JSON.stringify({ transaction }), { qos: 1 });
    const started = Date.now();
    for (;;) {
      const found = responses.find((r) => r.transaction === transaction);
      if (found !== undefined) return found;
      if (Date.now() - started > 20_000) throw new Error(`no answer to ${op} ${transaction}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const metrics = async () => (await fetch(`${gateway.httpUrl}/metrics`)).text();

  beforeAll(async () => {
    await cloud.start();
    const env = {
      VITRIN_ROSTER_KEY: randomBytes(32).toString('hex'),
      VITRIN_DATA__DIR: dataDir,
      VITRIN_HTTP__HOST: '127.0.0.1',
      VITRIN_HTTP__PORT: '0',
      VITRIN_MQTT__EMBEDDED__PORT: '0',
      VITRIN_BLE__SOURCE: 'simulator',
      VITRIN_SIMULATOR__MEMBERS: '0',
      VITRIN_CLOUD__URL: cloud.url,
      VITRIN_CLOUD__SIGNINGPUBLICKEYS: JSON.stringify([publicKey]),
      VITRIN_CLOUD__DOWNLINKCRON: '0 0 0 1 1 *',
    };
    gateway = await startGateway({ loaded: loadConfig({ env }), env, log: pino({ level: 'silent' }) });
    client = await mqtt.connectAsync(gateway.mqttUrl, { clientId: 'downlink-test' });
    client.on('message', (_topic, payload) => responses.push(JSON.parse(payload.toString()) as (typeof responses)[number]));
    await client.subscribeAsync(`vitrin/${STORE}/gateway/response/#`, { qos: 1 });
  }, 30_000);

  afterAll(async () => {
    await client?.endAsync(true);
    await gateway?.stop();
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies a roster delta, a catalog and a model, each checked first', async () => {
    const before = await request('health', 'h-0');
    const membersBefore = before.data!.members as number;
    published.push(
      sign('roster-delta', 1, { schema: 'vitrin.roster-delta/1', baseVersion: 0, upsert: [member('m-cloud-1'), member('m-cloud-2'), member('m-cloud-3')], remove: [] }),
      sign('catalog', 1, catalog('Cloud shoes')),
      sign('model', 1, modelPackage('2.0.1-cloud')),
    );
    const answer = await request('sync', 's-1');
    expect(answer.status).toBe('ok');
    const packages = (answer.data!.downlink as { packages: { kind: string; version: number; status: string }[] }).packages;
    expect(packages.map((p) => `${p.kind}@${p.version}:${p.status}`)).toEqual(['roster-delta@1:applied', 'catalog@1:applied', 'model@1:applied']);

    const health = await request('health', 'h-1');
    expect(health.data!.members).toBe(membersBefore + 3);
    expect((health.data!.model as { version: string }).version).toBe('2.0.1-cloud');
    expect(JSON.parse(readFileSync(join(dataDir, 'catalog.json'), 'utf8'))).toMatchObject({ items: [{ title: 'Cloud shoes' }] });
    expect(existsSync(join(dataDir, 'models', 'current.json'))).toBe(true);
    expect((health.data!.sync as { downlink: { versions: Record<string, unknown> } }).downlink.versions).toEqual({
      'roster-delta': { version: 1, status: 'applied' },
      catalog: { version: 1, status: 'applied' },
      model: { version: 1, status: 'applied' },
    });
    const text = await metrics();
    expect(text).toContain('vitrin_packages_applied_total{kind="catalog"} 1');
    expect(text).toContain('vitrin_package_version{kind="model"} 1');
    expect(text).toMatch(/vitrin_model_info\{id="propensity",version="2.0.1-cloud"/);
    // Polled with the versions it holds: the cloud is asked only for what follows.
    expect(cloud.polls.at(-1)?.get('catalog')).toBe('0');
  });

  it('erases a consent withdrawal and a removal like gateway/request/erase, with receipts for the cloud', async () => {
    const before = (await request('health', 'h-2a')).data!.members as number;
    published.push(
      sign('roster-delta', 2, { schema: 'vitrin.roster-delta/1', baseVersion: 1, upsert: [member('m-cloud-1', false)], remove: [{ memberId: 'm-cloud-2', requestId: 'withdrawal-9' }] }),
      sign('catalog', 2, catalog('Cloud shoes, second edition')),
    );
    const answer = await request('sync', 's-2');
    expect(answer.status).toBe('ok');
    const health = await request('health', 'h-2');
    expect(health.data!.members).toBe(before - 2);
    const receipts = cloud.batches.flatMap((b) => b.records).filter((r) => r.kind === 'erasure-receipt');
    expect(receipts.map((r) => r.payload.source)).toEqual(['cloud', 'cloud']);
    expect(receipts.map((r) => r.payload.requestId)).toContain('withdrawal-9');
    expect(receipts.every((r) => r.payload.held === true)).toBe(true);
    expect(JSON.stringify(receipts)).not.toContain('m-cloud-1');
  });

  it('refuses a tampered, a replayed, a downgraded and a broken package, and says so in health, metrics and to the cloud', async () => {
    const good = sign('catalog', 3, catalog('Cloud shoes'));
    const tampered = { ...good, body: Buffer.from(JSON.stringify(catalog('Free shoes'))).toString('base64') };
    const replayed = published.find((p) => p.kind === 'roster-delta' && p.version === 2)!;
    const downgraded = published.find((p) => p.kind === 'catalog' && p.version === 1)!;
    forced = [tampered, replayed, downgraded];
    published.push(sign('model', 2, modelPackage('9.9.9', Buffer.from('not a model'))));
    const answer = await request('sync', 's-3');
    forced = [];
    const packages = (answer.data!.downlink as { packages: { kind: string; version: number; status: string; code?: string; reason?: string }[] }).packages;
    expect(packages.map((p) => `${p.kind}@${p.version}:${p.status}:${p.reason ?? ''}`).sort()).toEqual(
      ['catalog@1:refused:downgrade', 'catalog@3:refused:signature', 'model@2:refused:invalid', 'roster-delta@2:refused:replay'].sort(),
    );
    expect(packages.find((p) => p.reason === 'signature')?.code).toBe('VITRIN_ERR_PACKAGE_SIGNATURE');
    expect(packages.find((p) => p.reason === 'replay')?.code).toBe('VITRIN_ERR_PACKAGE_REPLAY');

    const health = await request('health', 'h-3');
    const sync = health.data!.sync as { downlink: { versions: Record<string, { version: number; status: string }>; lastRefused: { code: string } | null } };
    // The forged catalog moved nothing; the broken model, signed, took its version.
    expect(sync.downlink.versions.catalog).toEqual({ version: 2, status: 'applied' });
    expect(sync.downlink.versions.model).toEqual({ version: 2, status: 'refused' });
    expect(sync.downlink.lastRefused).not.toBeNull();
    expect((health.data!.model as { version: string }).version).toBe('2.0.1-cloud');
    expect(JSON.parse(readFileSync(join(dataDir, 'catalog.json'), 'utf8'))).toMatchObject({ items: [{ title: 'Cloud shoes, second edition' }] });

    const text = await metrics();
    expect(text).toContain('vitrin_packages_refused_total{kind="catalog",reason="signature"} 1');
    expect(text).toContain('vitrin_packages_refused_total{kind="roster-delta",reason="replay"} 1');
    expect(text).toContain('vitrin_packages_refused_total{kind="catalog",reason="downgrade"} 1');
    expect(text).toContain('vitrin_packages_refused_total{kind="model",reason="invalid"} 1');
    const reported = cloud.batches.flatMap((b) => b.records).filter((r) => r.kind === 'package-refused');
    expect(reported.map((r) => r.payload.reason).sort()).toEqual(['downgrade', 'invalid', 'replay', 'signature']);

    // Offered again, the same refusals are not reported twice.
    forced = [tampered];
    await request('sync', 's-4');
    forced = [];
    expect(cloud.batches.flatMap((b) => b.records).filter((r) => r.kind === 'package-refused')).toHaveLength(4);
  });

  it('takes the good packages of a list that also holds entries that are not packages, and says when a list is no list', async () => {
    forced = [null, 42, 'catalog', [], sign('catalog', 4, catalog('Shoes among junk'))];
    const answer = await request('sync', 's-junk');
    forced = [];
    expect(answer.status).toBe('ok');
    const packages = (answer.data!.downlink as { packages: { kind: string; status: string; code?: string }[] }).packages;
    expect(packages.filter((p) => p.status === 'applied').map((p) => p.kind)).toEqual(['catalog']);
    expect(packages.filter((p) => p.status === 'refused').map((p) => `${p.kind}:${p.code ?? ''}`)).toEqual(Array(4).fill('unknown:VITRIN_ERR_PACKAGE_INVALID'));
    expect(JSON.parse(readFileSync(join(dataDir, 'catalog.json'), 'utf8'))).toMatchObject({ items: [{ title: 'Shoes among junk' }] });

    answerInstead = { schema: 'vitrin.package-list/1', packages: 'none today' };
    const refused = await request('sync', 's-nolist');
    answerInstead = undefined;
    expect((refused.data!.downlink as { error?: { code: string } }).error?.code).toBe('VITRIN_ERR_CLOUD_DOWNLINK');
  });

  it('a model reload by store IT puts model.dir back in use, also for the next start', async () => {
    expect(existsSync(join(dataDir, 'models', 'current.json'))).toBe(true);
    const shipped = (JSON.parse(readFileSync(join(modelFiles, 'manifest.json'), 'utf8')) as { version: string }).version;
    const reload = await request('model-reload', 'r-1');
    expect(reload.status).toBe('ok');
    expect((await request('health', 'h-reload')).data!.model).toMatchObject({ version: shipped });
    // The next start reads this pointer to choose the delivered model over model.dir.
    expect(existsSync(join(dataDir, 'models', 'current.json'))).toBe(false);
  });

  it('answers gateway/request/sync and health with the outbox state', async () => {
    const health = await request('health', 'h-5');
    expect(health.data!.sync).toMatchObject({ enabled: true, outbox: { depth: expect.any(Number), capBytes: 256 * 1024 * 1024 }, uplink: { lastError: null } });
    const text = await metrics();
    for (const name of ['vitrin_outbox_depth', 'vitrin_outbox_oldest_age_seconds', 'vitrin_uplink_last_success_timestamp_seconds', 'vitrin_uplink_bytes_total', 'vitrin_outbox_pending_bytes']) expect(text).toContain(name);
  });
});

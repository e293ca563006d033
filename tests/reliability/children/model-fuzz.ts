// A child process of the hostile-input part: broken model packages through the ONNX
// adapter's loadModelPackage (what the gateway runs at start, on a model reload and on
// a model from the cloud) and checkModelFile (`vitrin model check`). ONNX Runtime is
// native code: if a file brings it down, this process dies and the parent names the
// variant from the last line printed. One JSON line per variant on stdout.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { checkModelFile } from '../../../adapters/onnx/model-report.js';
import { loadModelPackage } from '../../../adapters/onnx/onnx-scorer.js';
import { isVitrinError } from '../../../gateway/errors.js';
import { PACKAGE_ROOT } from '../../../gateway/package-root.js';
import { seededRandom } from '../../../gateway/util/seeded-random.js';
import { catboostClassifier, kerasMlp, onnxmltoolsTrees, pytorchLogits, sklearnLogistic, type Fixture } from '../../support/onnx-fixtures.js';
import { pick, randomBytes, type Random } from '../support/fuzz.js';

export interface ModelVariantResult {
  readonly index: number;
  readonly base: string;
  readonly kind: string;
  /** The code loadModelPackage refused it with, 'loaded' (the change did not matter), or what it threw without a code. */
  readonly load: string;
  readonly check: string;
}

interface Package {
  readonly name: string;
  readonly model: Uint8Array;
  readonly manifest: Record<string, unknown>;
}

const log = pino({ level: 'silent' });
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function fromFixture(name: string, fixture: Fixture): Package {
  return {
    name,
    model: fixture.bytes,
    manifest: { id: name, version: '1.0.0', sha256: sha256(fixture.bytes), input: fixture.input, features: Array.from({ length: fixture.width }, (_, i) => ({ name: `feature${i}`, type: 'number', default: 0 })), output: fixture.output },
  };
}

function packages(): Package[] {
  const dir = join(PACKAGE_ROOT, 'models', 'propensity');
  return [
    { name: 'propensity (shipped)', model: readFileSync(join(dir, 'model.onnx')), manifest: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown> },
    fromFixture('skl2onnx with ZipMap', sklearnLogistic({ zipmap: true })),
    fromFixture('onnxmltools trees', onnxmltoolsTrees()),
    fromFixture('catboost', catboostClassifier()),
    fromFixture('keras MLP', kerasMlp()),
    fromFixture('pytorch logits', pytorchLogits()),
  ];
}

/** A broken model file; the manifest is rewritten to its sha256, so the parser and ONNX Runtime see it, not only the checksum. */
function brokenModel(random: Random, good: Uint8Array, manifest: Uint8Array): { kind: string; bytes: Uint8Array } {
  const copy = () => Uint8Array.from(good);
  switch (Math.floor(random() * 9)) {
    case 0:
      return { kind: 'truncated', bytes: good.subarray(0, Math.floor(random() * good.length)) };
    case 1: {
      const bytes = copy();
      for (let n = 1 + Math.floor(random() * 8); n > 0; n--) bytes[Math.floor(random() * bytes.length)]! ^= 1 << Math.floor(random() * 8);
      return { kind: 'bits flipped', bytes };
    }
    case 2: {
      const bytes = copy();
      const at = Math.floor(random() * bytes.length);
      bytes.set(randomBytes(random, Math.min(16, bytes.length - at)), at);
      return { kind: 'bytes overwritten', bytes };
    }
    case 3: {
      // Wire types and lengths: a tag or length byte set to what breaks a protobuf reader.
      const bytes = copy();
      bytes[Math.floor(random() * bytes.length)] = pick(random, [0x0a, 0x12, 0x1a, 0x07, 0x0f, 0xff, 0x80, 0x00]);
      return { kind: 'protobuf field or length broken', bytes };
    }
    case 4:
      return { kind: 'model repeated (merged protobuf)', bytes: Buffer.concat([good, good]) };
    case 5: {
      const bytes = copy();
      const at = Math.floor(random() * bytes.length);
      return { kind: 'bytes inserted', bytes: Buffer.concat([bytes.subarray(0, at), randomBytes(random, 1 + Math.floor(random() * 8)), bytes.subarray(at)]) };
    }
    default:
      return pick(random, [
        { kind: 'empty file', bytes: new Uint8Array() },
        { kind: 'random bytes', bytes: randomBytes(random, 1 + Math.floor(random() * 4_000)) },
        { kind: 'the manifest as the model', bytes: manifest },
        { kind: 'a PNG', bytes: Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(random, 200)]) },
        { kind: 'endless varint', bytes: Buffer.alloc(64, 0xff) },
        { kind: 'a huge length prefix', bytes: Buffer.from([0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]) },
        { kind: 'text', bytes: Buffer.from('this is not a model\n') },
      ]);
  }
}

function brokenManifest(random: Random, manifest: Record<string, unknown>): { kind: string; text: string } {
  const good = JSON.stringify(manifest);
  const edit = (kind: string, change: (m: Record<string, unknown>) => void) => {
    const m = JSON.parse(good) as Record<string, unknown>;
    change(m);
    return { kind, text: JSON.stringify(m) };
  };
  return pick(random, [
    { kind: 'manifest cut off', text: good.slice(0, Math.floor(random() * good.length)) },
    { kind: 'manifest not JSON', text: good.replace(/"/g, '') },
    edit('wrong sha256', (m) => (m.sha256 = '0'.repeat(64))),
    edit('features not a list', (m) => (m.features = 'all')),
    edit('no features', (m) => delete m.features),
    edit('features renamed and reordered', (m) => (m.features = [...(m.features as unknown[])].reverse().map((f, i) => ({ ...(f as object), name: `x${i}` })))),
    edit('1,000 features', (m) => (m.features = Array.from({ length: 1_000 }, (_, i) => ({ name: `f${i}`, type: 'number', default: 0 })))),
    edit('version a number', (m) => (m.version = 2)),
    edit('a feature of an unknown type', (m) => (m.features = [{ name: 'f', type: 'tensor', default: [] }])),
    edit('batch of 7', (m) => (m.input = { name: 'features', batch: 7 })),
    edit('prototype keys', (m) => Object.assign(m, JSON.parse('{"__proto__":{"sha256":"x"},"constructor":{"prototype":{}}}') as object)),
  ]);
}

function thrown(err: unknown): string {
  return isVitrinError(err) ? err.code : `THREW ${err instanceof Error ? `${err.name}: ${err.message.slice(0, 120)}` : String(err)}`;
}

/** Variants `from` to `to` - 1; each has a generator of its own, so a run can resume after the variant that killed it. */
async function main(dir: string, from: number, to: number, seed: number): Promise<void> {
  const bases = packages();
  mkdirSync(dir, { recursive: true });
  for (let index = from; index < to; index++) {
    const random = seededRandom(seed * 1_000_003 + index);
    const base = index === 0 ? bases.find((b) => b.name === 'catboost')! : bases[index % bases.length]!;
    const modelFile = join(dir, `model-${index}.onnx`);
    const manifestFile = join(dir, `manifest-${index}.json`);
    let kind: string;
    if (index === 0) {
      // Found by this fuzz: one flipped bit in a TreeEnsembleClassifier that makes ONNX Runtime call std::terminate.
      const bytes = Uint8Array.from(base.model);
      bytes[419] = 0x50;
      kind = 'pinned: byte 419 0x40→0x50';
      writeFileSync(modelFile, bytes);
      writeFileSync(manifestFile, JSON.stringify({ ...base.manifest, sha256: sha256(bytes) }));
    } else if (random() < 0.8) {
      const broken = brokenModel(random, base.model, Buffer.from(JSON.stringify(base.manifest)));
      kind = broken.kind;
      writeFileSync(modelFile, broken.bytes);
      writeFileSync(manifestFile, JSON.stringify({ ...base.manifest, sha256: sha256(broken.bytes) }));
    } else {
      const broken = brokenManifest(random, base.manifest);
      kind = broken.kind;
      writeFileSync(modelFile, base.model);
      writeFileSync(manifestFile, broken.text);
    }
    // Named before it runs: if ONNX Runtime takes the process down, the parent knows with what.
    process.stdout.write(`${JSON.stringify({ index, base: base.name, kind, running: true })}\n`);
    const load = await loadModelPackage({ model: modelFile, manifest: manifestFile }, log).then(
      async (scorer) => {
        await scorer.stop();
        return 'loaded';
      },
      thrown,
    );
    // `vitrin model check` reports instead of throwing: a refusal is a report with a code.
    const check = await checkModelFile(modelFile, manifestFile).then((report) => (report.ok ? 'usable' : (report.code ?? 'refused without a code')), thrown);
    const result: ModelVariantResult = { index, base: base.name, kind, load, check };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}

const [dir, from, to, seed] = process.argv.slice(2);
await main(dir ?? '.', Number(from ?? 0), Number(to ?? 100), Number(seed ?? 1));

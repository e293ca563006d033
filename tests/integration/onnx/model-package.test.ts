import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadModelPackage, loadOnnxScorer, type OnnxScorer } from '../../../adapters/onnx/onnx-scorer.js';
import { isVitrinError, type ErrorCode } from '../../../gateway/errors.js';
import type { Scorer } from '../../../gateway/ports.js';
import { ELEM, writeOnnxModel, type NodeSpec } from '../../../models/train/onnx-writer.js';
import { kerasMlp, PROBE_ROWS, pytorchLogits, sklearnLogistic, writePackage, type Fixture } from '../../support/onnx-fixtures.js';

const log = pino({ level: 'silent' });

function files(dir: string) {
  return { model: join(dir, 'model.onnx'), manifest: join(dir, 'manifest.json') };
}

async function refusal(dir: string): Promise<{ code: ErrorCode; message: string; details: readonly string[] }> {
  const err: unknown = await loadModelPackage(files(dir), log).then(
    async (scorer) => {
      await scorer.stop();
      return new Error('loaded');
    },
    (e: unknown) => e,
  );
  if (!isVitrinError(err)) throw new Error(`expected a VitrinError, got ${String(err)}`);
  return { code: err.code, message: err.message, details: err.details };
}

/** A one-node model `input → op → output`, with the given types, as a fixture. */
function oneNode(options: { inputType: number; node: NodeSpec; outputType: number; outputShape: (number | string | null)[]; output: Record<string, unknown> }): Fixture {
  const bytes = writeOnnxModel({
    irVersion: 8, producerName: 'test', opsets: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      nodes: [options.node],
      inputs: [{ name: 'x', type: { tensor: options.inputType, shape: ['N', 3] } }],
      outputs: [{ name: 'y', type: { tensor: options.outputType, shape: options.outputShape } }],
    },
  });
  return { bytes, width: 3, expected: () => 0, input: { name: 'x', batch: 'dynamic' }, output: options.output };
}

/** skl2onnx's ZipMap output, fed on to a node: the ZipMap cannot be removed. */
function zipMapFedOn(): Fixture {
  const base = sklearnLogistic({ zipmap: true });
  const bytes = writeOnnxModel({
    irVersion: 8, opsets: [{ domain: '', version: 17 }, { domain: 'ai.onnx.ml', version: 1 }],
    graph: {
      name: 'g',
      nodes: [
        { opType: 'ZipMap', domain: 'ai.onnx.ml', inputs: ['x'], outputs: ['m'], attributes: [{ name: 'classlabels_int64s', ints: [0, 1, 2] }] },
        { opType: 'Identity', inputs: ['m'], outputs: ['m2'] },
      ],
      inputs: [{ name: 'x', type: { tensor: ELEM.FLOAT, shape: ['N', 3] } }],
      outputs: [
        { name: 'm', type: { sequence: { map: { key: ELEM.INT64, value: { tensor: ELEM.FLOAT } } } } },
        { name: 'm2', type: { sequence: { map: { key: ELEM.INT64, value: { tensor: ELEM.FLOAT } } } } },
      ],
    },
  });
  return { ...base, bytes, input: { name: 'x', batch: 'dynamic' }, output: { name: 'm', kind: 'probability', positiveClass: 1 } };
}

describe('loading a model package refuses, with a code, every model it cannot use', () => {
  it('a truncated file, garbage and an empty file: VITRIN_ERR_MODEL_FORMAT, naming the byte', async () => {
    const good = sklearnLogistic({ zipmap: true });
    for (const bytes of [good.bytes.subarray(0, good.bytes.length - 25), Buffer.from('PK\u0003\u0004 not a model'), new Uint8Array(0)]) {
      const dir = writePackage(good, undefined, bytes);
      const err = await refusal(dir);
      expect(err.code).toBe('VITRIN_ERR_MODEL_FORMAT');
      expect(err.message).toMatch(/model\.onnx is not an ONNX model: .* \(byte \d+ of \d+\)$/);
    }
  });

  it('bytes that differ from the manifest sha256: VITRIN_ERR_MODEL_CHECKSUM', async () => {
    const fixture = kerasMlp();
    const dir = writePackage(fixture);
    const bytes = readFileSync(files(dir).model);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(files(dir).model, bytes);
    expect((await refusal(dir)).code).toBe('VITRIN_ERR_MODEL_CHECKSUM');
  });

  it('a double input, a fixed batch of 4, a ZipMap fed on: VITRIN_ERR_MODEL_UNSUPPORTED with the fix', async () => {
    const double = oneNode({ inputType: ELEM.DOUBLE, node: { opType: 'Sigmoid', inputs: ['x'], outputs: ['y'] }, outputType: ELEM.DOUBLE, outputShape: ['N', 3], output: { name: 'y', kind: 'probability', column: 0 } });
    let err = await refusal(writePackage(double));
    expect(err.code).toBe('VITRIN_ERR_MODEL_UNSUPPORTED');
    expect(err.details[0]).toContain('input "x" is tensor(double); Vitrin feeds float32');

    err = await refusal(writePackage(pytorchLogits({ columns: 2, batch: 4 })));
    expect(err.code).toBe('VITRIN_ERR_MODEL_UNSUPPORTED');
    expect(err.details).toContain('input "input" has a fixed batch of 4; only a dynamic batch or a batch of 1 can be fed');

    err = await refusal(writePackage(zipMapFedOn()));
    expect(err.code).toBe('VITRIN_ERR_MODEL_UNSUPPORTED');
    expect(err.details.join('\n')).toContain("ZipMap output \"m\" feeds Identity \"\", so it cannot be removed; re-export without ZipMap: skl2onnx `options={id(model): {'zipmap': False}}`");
  });

  it('a manifest that disagrees with the model: VITRIN_ERR_MODEL_MISMATCH, every disagreement listed', async () => {
    const err = await refusal(
      writePackage(pytorchLogits({ columns: 2 }), (m) => {
        m.input = { name: 'input', batch: 'dynamic' };
        m.output = { name: 'logits', kind: 'probability', column: 2 };
        m.features = [{ name: 'a', type: 'number', default: 0 }];
      }),
    );
    expect(err.code).toBe('VITRIN_ERR_MODEL_MISMATCH');
    expect(err.details).toEqual([
      'input "input" has a fixed batch of 1; set input.batch to "fixed"',
      'input "input" takes 3 features, the manifest lists 1',
      'output "logits" comes from Gemm: logits, not probabilities; set output.kind to "logit"',
      'output column 2 does not exist; "logits" has 2',
    ]);
    const wrongType = await refusal(writePackage(sklearnLogistic({ zipmap: false }), (m) => (m.output = { name: 'output_label', kind: 'probability', column: 0 })));
    expect(wrongType.details).toContain('output "output_label" is tensor(int64); a "probability" output must be float');
  });

  it('a "probability" that is not one on a row of defaults: VITRIN_ERR_MODEL_MISMATCH from the trial run', async () => {
    const relu = oneNode({ inputType: ELEM.FLOAT, node: { opType: 'Relu', inputs: ['x'], outputs: ['y'] }, outputType: ELEM.FLOAT, outputShape: ['N', 3], output: { name: 'y', kind: 'probability', column: 0 } });
    const err = await refusal(writePackage(relu, (m) => (m.features = [0, 1, 2].map((i) => ({ name: `f${i}`, type: 'number', default: 3 })))));
    expect(err.code).toBe('VITRIN_ERR_MODEL_MISMATCH');
    expect(err.message).toBe('model fixture@1.0.0 scores a row of defaults as 3, not a probability');
  });
});

describe('a bad model never replaces a good one', () => {
  /** What the core's hot-swap holder does: take the new Scorer only when it loaded. */
  class Holder {
    constructor(public current: Scorer & { stop(): Promise<void> }) {}
    async swap(dir: string): Promise<ErrorCode | 'swapped'> {
      try {
        const next = await loadOnnxScorer(dir, log);
        const previous = this.current;
        this.current = next;
        await previous.stop();
        return 'swapped';
      } catch (err) {
        if (!isVitrinError(err)) throw err;
        return err.code;
      }
    }
  }

  it('keeps scoring with the previous model through every kind of failed load, then takes a good one', async () => {
    const good = sklearnLogistic({ zipmap: true });
    const holder = new Holder(await loadOnnxScorer(writePackage(good), log));
    const batch = { rows: PROBE_ROWS.length, width: 3, values: Float32Array.from(PROBE_ROWS.flat()) };
    const before = [...(await holder.current.score(batch))];

    const torch = pytorchLogits({ columns: 2 });
    const outcomes = [
      await holder.swap(writePackage(good, undefined, good.bytes.subarray(0, 100))),
      await holder.swap(writePackage(good, (m) => (m.sha256 = createHash('sha256').update('other').digest('hex')))),
      await holder.swap(writePackage(torch, (m) => (m.output = { name: 'logits', kind: 'probability', column: 1 }))),
      await holder.swap(writePackage(pytorchLogits({ columns: 2, batch: 4 }))),
      await holder.swap(writePackage(good, (m) => delete m.output)),
    ];
    expect(outcomes).toEqual(['VITRIN_ERR_MODEL_FORMAT', 'VITRIN_ERR_MODEL_CHECKSUM', 'VITRIN_ERR_MODEL_MISMATCH', 'VITRIN_ERR_MODEL_UNSUPPORTED', 'VITRIN_ERR_MODEL_LOAD']);
    expect([...(await holder.current.score(batch))]).toEqual(before);

    expect(await holder.swap(writePackage(torch))).toBe('swapped');
    const after = [...(await holder.current.score(batch))];
    after.forEach((p, i) => expect(p).toBeCloseTo(torch.expected(PROBE_ROWS[i]!), 5));
    await (holder.current as OnnxScorer).stop();
  });
});

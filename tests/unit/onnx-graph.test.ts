import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeOnnxModel, describeType } from '../../adapters/onnx/onnx-model.js';
import { ProtoError, readFields } from '../../adapters/onnx/proto-reader.js';
import { planReading } from '../../adapters/onnx/read-plan.js';
import { removeZipMaps } from '../../adapters/onnx/zipmap.js';
import { isVitrinError } from '../../gateway/errors.js';
import { parseManifest, type ModelManifest } from '../../gateway/scoring/manifest.js';
import { ProtoWriter } from '../../models/train/protobuf.js';
import { catboostClassifier, kerasMlp, onnxmltoolsTrees, pytorchLogits, sklearnLogistic, type Fixture } from '../support/onnx-fixtures.js';

function formatError(bytes: Uint8Array): string {
  try {
    decodeOnnxModel(bytes, 'model.onnx');
  } catch (err) {
    if (isVitrinError(err, 'VITRIN_ERR_MODEL_FORMAT')) return err.message;
    throw err;
  }
  throw new Error('decoded');
}

function plan(fixture: Fixture, manifest?: ModelManifest) {
  const model = decodeOnnxModel(fixture.bytes, 'model.onnx');
  return planReading(model, removeZipMaps(model).removed, manifest);
}

function manifestFor(fixture: Fixture, output: Record<string, unknown>): ModelManifest {
  const parsed = parseManifest({
    id: 'm', version: '1', sha256: '0'.repeat(64), input: fixture.input,
    features: Array.from({ length: fixture.width }, (_, i) => ({ name: `f${i}`, type: 'number', default: 0 })),
    output,
  });
  if (parsed.manifest === undefined) throw new Error(parsed.problems.join('; '));
  return parsed.manifest;
}

describe('the protobuf reader', () => {
  it('reads repeated int64 packed and unpacked alike, negative values included', () => {
    const unpacked = new ProtoWriter().varint(8, 3).varint(8, -2).finish();
    expect(readFields(unpacked).map((f) => BigInt.asIntN(64, f.varint))).toEqual([3n, -2n]);
  });

  it('names the byte where a file stops being protobuf', () => {
    expect(() => readFields(Uint8Array.from([0x3a, 0x05, 0x01]))).toThrow(new ProtoError('truncated: field 7 needs 5 bytes, 1 remain', 0));
    expect(() => readFields(Uint8Array.from([0x08, 0x01, 0x0b]))).toThrow(/wire type 3 \(field 1\)/);
    expect(() => readFields(Uint8Array.from([0x08, 0xff, 0xff]))).toThrow(/truncated inside a varint/);
  });
});

describe('decodeOnnxModel', () => {
  it('reads what skl2onnx writes: opsets, the input, the seq(map) output of ZipMap', () => {
    const model = decodeOnnxModel(sklearnLogistic({ zipmap: true }).bytes, 'model.onnx');
    expect(model.producer).toBe('skl2onnx 1.17.0');
    expect(Object.fromEntries(model.opsets)).toEqual({ '': 17, 'ai.onnx.ml': 1 });
    expect(model.graph.inputs.map((i) => [i.name, describeType(i.type)])).toEqual([['float_input', 'tensor(float)']]);
    expect(model.graph.outputs.map((o) => describeType(o.type))).toEqual(['tensor(int64)', 'seq(map(int64,tensor(float)))']);
    expect(model.graph.nodes.map((n) => `${n.domain}:${n.opType}`)).toEqual(['ai.onnx.ml:LinearClassifier', 'ai.onnx.ml:Normalizer', ':Cast', 'ai.onnx.ml:ZipMap']);
  });

  it('leaves initializers out of the inputs, as IR 3 exporters list them there', () => {
    const model = decodeOnnxModel(kerasMlp().bytes, 'model.onnx');
    expect(model.graph.inputs.map((i) => i.name)).toEqual(['input_1']);
  });

  it('refuses what is not an ONNX model with VITRIN_ERR_MODEL_FORMAT and the reason', () => {
    const good = sklearnLogistic({ zipmap: true }).bytes;
    expect(formatError(new Uint8Array(0))).toBe('model.onnx is not an ONNX model: the file is empty (byte 0 of 0)');
    expect(formatError(good.subarray(0, good.length - 40))).toMatch(/^model\.onnx is not an ONNX model: truncated: field 7 needs \d+ bytes/);
    expect(formatError(new TextEncoder().encode('this is not an onnx model'))).toMatch(/not an ONNX model/);
    expect(formatError(new ProtoWriter().varint(1, 8).finish())).toContain('no graph (field 7)');
    expect(formatError(new ProtoWriter().varint(1, 8).varint(7, 1).finish())).toContain('graph has wire type 0, ONNX says 2');
    expect(formatError(new ProtoWriter().string(1, 'eight').finish())).toContain('ir_version has wire type 2, ONNX says 0');
  });

  it('never fails other than with VITRIN_ERR_MODEL_FORMAT, whatever the bytes', () => {
    const fixtures = [sklearnLogistic({ zipmap: true }).bytes, catboostClassifier().bytes, pytorchLogits().bytes];
    fc.assert(
      fc.property(fc.nat(2), fc.nat(), fc.uint8Array({ maxLength: 64 }), (which, cut, noise) => {
        const base = fixtures[which]!;
        const bytes = Uint8Array.from([...base.subarray(0, cut % base.length), ...noise]);
        try {
          decodeOnnxModel(bytes, 'm.onnx');
        } catch (err) {
          expect(isVitrinError(err, 'VITRIN_ERR_MODEL_FORMAT')).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('removeZipMaps', () => {
  it('puts the probabilities under ZipMap in its place and keeps every other field', () => {
    const { bytes } = sklearnLogistic({ zipmap: true });
    const rewrite = removeZipMaps(decodeOnnxModel(bytes, 'model.onnx'));
    expect(rewrite.removed).toEqual([{ mapOutput: 'output_probability', tensor: 'probabilities', classLabels: ['0', '1'] }]);
    const after = decodeOnnxModel(rewrite.bytes!, 'rewritten.onnx');
    expect(after.graph.nodes.map((n) => n.opType)).toEqual(['LinearClassifier', 'Normalizer', 'Cast']);
    expect(after.graph.outputs.map((o) => [o.name, describeType(o.type)])).toEqual([
      ['output_label', 'tensor(int64)'],
      ['probabilities', 'tensor(float)'],
    ]);
    expect(after.graph.outputs[1]!.type).toEqual({ kind: 'tensor', elemType: 1, shape: [null, 2] });
    expect(after.producer).toBe('skl2onnx 1.17.0');
  });

  it("moves CatBoost's value_info for the tensor to the outputs", () => {
    const rewrite = removeZipMaps(decodeOnnxModel(catboostClassifier().bytes, 'model.onnx'));
    const after = decodeOnnxModel(rewrite.bytes!, 'rewritten.onnx');
    expect(after.graph.outputs.map((o) => o.name)).toEqual(['label', 'probability_tensor']);
    expect(after.graph.outputs[1]!.type).toEqual({ kind: 'tensor', elemType: 1, shape: ['N', 2] });
    expect(after.graph.valueInfo).toEqual([]);
    expect([...after.opsets.keys()]).toEqual(['ai.onnx.ml']);
  });

  it('leaves a model without ZipMap alone', () => {
    expect(removeZipMaps(decodeOnnxModel(kerasMlp().bytes, 'model.onnx'))).toEqual({ bytes: undefined, removed: [], problems: [] });
  });
});

describe('planReading: how each tool’s output is read without a manifest', () => {
  it.each([
    ['skl2onnx with ZipMap', sklearnLogistic({ zipmap: true }), 'ZipMap removed: column 1 (class 1) of "probabilities", the probabilities under ZipMap output "output_probability", as is'],
    ['skl2onnx zipmap=False', sklearnLogistic({ zipmap: false }), 'column 1 (class 1) of "output_probability" (LinearClassifier probabilities), as is'],
    ['CatBoost', catboostClassifier(), 'ZipMap removed: column 1 (class 1) of "probability_tensor", the probabilities under ZipMap output "probabilities", as is'],
    ['onnxmltools trees', onnxmltoolsTrees(), 'column 1 (class 1) of "probabilities" (TreeEnsembleClassifier probabilities), as is'],
    ['tf2onnx Keras', kerasMlp(), 'column 0 of "dense_1" (Sigmoid), as is'],
    ['PyTorch, two logits', pytorchLogits({ columns: 2 }), 'softmax over the 2 logits of "logits" (Gemm), column 1'],
    ['PyTorch, one logit', pytorchLogits({ columns: 1 }), 'sigmoid of the logit in column 0 of "logits" (Gemm)'],
  ])('%s', (_name, fixture, description) => {
    const result = plan(fixture);
    expect(result.unsupported).toEqual([]);
    expect(result.mismatch).toEqual([]);
    expect(result.plan?.description).toBe(description);
  });

  it('reads a fixed batch of 1 as "fixed" and refuses any other fixed batch', () => {
    expect(plan(pytorchLogits({ columns: 2 })).batch).toBe('fixed');
    expect(plan(pytorchLogits({ columns: 2, batch: 4 })).unsupported).toEqual(['input "input" has a fixed batch of 4; only a dynamic batch or a batch of 1 can be fed']);
  });
});

describe('planReading against a manifest', () => {
  it('finds the column of a class label through ZipMap, given as a number or as text', () => {
    const zip = sklearnLogistic({ zipmap: true, labels: ['no', 'yes'] });
    expect(plan(zip, manifestFor(zip, { name: 'output_probability', kind: 'probability', positiveClass: 'no' })).plan).toMatchObject({ fetch: 'probabilities', column: 0, positiveClass: 'no' });
    const ints = sklearnLogistic({ zipmap: true });
    expect(plan(ints, manifestFor(ints, { name: 'output_probability', kind: 'probability', positiveClass: '1' })).plan).toMatchObject({ column: 1 });
  });

  it('lists every disagreement with the model', () => {
    const torch = pytorchLogits({ columns: 2 });
    const result = plan(torch, { ...manifestFor(torch, { name: 'logits', kind: 'probability', positiveClass: 1 }), input: { name: 'x', batch: 'dynamic' } });
    expect(result.mismatch).toEqual([
      'input "x" not in the model (it has: input)',
      'input "input" has a fixed batch of 1; set input.batch to "fixed"',
      'output "logits" comes from Gemm: logits, not probabilities; set output.kind to "logit"',
      'output "logits" does not name its classes; give output.column instead of output.positiveClass',
    ]);
    const zip = sklearnLogistic({ zipmap: true });
    expect(plan(zip, manifestFor(zip, { name: 'output_probability', kind: 'probability', positiveClass: 7 })).mismatch).toEqual([
      'positive class "7" is not a class of "output_probability" (classes: 0, 1)',
    ]);
  });
});

describe('parseManifest: output semantics', () => {
  const base = { id: 'm', version: '1', sha256: 'a'.repeat(64), input: { name: 'x', batch: 'dynamic' }, features: [{ name: 'a', type: 'number', default: 0 }] };

  it('takes a positive class instead of a column, and a label output with its positive class', () => {
    expect(parseManifest({ ...base, output: { name: 'p', kind: 'probability', positiveClass: 1 } }).problems).toEqual([]);
    expect(parseManifest({ ...base, output: { name: 'l', kind: 'label', positiveClass: 'yes' } }).problems).toEqual([]);
  });

  it('refuses a label output without its positive class, an empty class and a repeated feature', () => {
    expect(parseManifest({ ...base, output: { name: 'l', kind: 'label' } }).problems).toEqual([
      '/output/column: must be an integer >= 0',
      '/output/positiveClass: a "label" output needs the label of the positive class',
    ]);
    expect(parseManifest({ ...base, output: { name: 'p', kind: 'logit', positiveClass: '' } }).problems).toEqual([
      '/output/positiveClass: must be an integer or a non-empty string (the class label)',
    ]);
    const twice = { ...base, output: { name: 'p', kind: 'logit', column: 0 }, features: [...base.features, { name: 'a', type: 'number', default: 1 }] };
    expect(parseManifest(twice).problems).toEqual(['/features/1/name: "a" is already /features/0']);
  });
});

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../gateway/cli/vitrin.js';
import { checkModel } from '../../../gateway/main.js';
import { PACKAGE_ROOT } from '../../../gateway/package-root.js';
import { ELEM, writeOnnxModel } from '../../../models/train/onnx-writer.js';
import {
  catboostClassifier,
  kerasMlp,
  onnxmltoolsTrees,
  pytorchLogits,
  sklearnLogistic,
  writePackage,
  type Fixture,
} from '../../support/onnx-fixtures.js';

async function check(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['model', 'check', ...argv], {
    startGateway: () => Promise.reject(new Error('not in this test')),
    checkModel,
    env: {},
    io: { out: (l) => out.push(l), err: (l) => err.push(l) },
  });
  return { code, report: out.length === 0 ? undefined : JSON.parse(out.join('\n')), err };
}

function modelFile(fixture: Fixture, bytes = fixture.bytes): { model: string; manifest: string } {
  const dir = writePackage(fixture, undefined, bytes);
  return { model: join(dir, 'model.onnx'), manifest: join(dir, 'manifest.json') };
}

const ZERO_ROW = [0, 0, 0];

describe('vitrin model check', () => {
  it.each([
    ['skl2onnx, ZipMap', sklearnLogistic({ zipmap: true }), 'dynamic', 'seq(map(int64,tensor(float)))', 'ZipMap removed: column 1 (class 1) of "probabilities"'],
    ['skl2onnx, zipmap=False', sklearnLogistic({ zipmap: false }), 'dynamic', 'tensor(float)', 'column 1 (class 1) of "output_probability"'],
    ['CatBoost', catboostClassifier(), 'dynamic', 'seq(map(int64,tensor(float)))', 'ZipMap removed: column 1 (class 1) of "probability_tensor"'],
    ['onnxmltools trees', onnxmltoolsTrees(), 'dynamic', 'tensor(float)', 'column 1 (class 1) of "probabilities"'],
    ['tf2onnx Keras', kerasMlp(), 'dynamic', 'tensor(float)', 'column 0 of "dense_1" (Sigmoid)'],
    ['PyTorch', pytorchLogits({ columns: 2 }), 'fixed', 'tensor(float)', 'softmax over the 2 logits of "logits" (Gemm), column 1'],
  ])('%s: ok, how the probability is read, and a sample from ONNX Runtime', async (_name, fixture, batch, lastOutputType, probability) => {
    const { code, report, err } = await check(modelFile(fixture).model);
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(report).toMatchObject({ ok: true, batch, problems: [] });
    expect(report.inputs).toEqual([expect.objectContaining({ name: fixture.input.name, type: 'tensor(float)' })]);
    expect((report.outputs as { type: string }[]).at(-1)?.type).toBe(lastOutputType);
    expect(report.probability).toContain(probability);
    expect(report.sample[0]).toBeCloseTo(fixture.expected(ZERO_ROW), 5);
  });

  it('with --manifest, checks the model against it, sha256 included', async () => {
    const fixture = sklearnLogistic({ zipmap: true });
    const { model, manifest } = modelFile(fixture);
    const good = await check(model, '--manifest', manifest);
    expect(good.code).toBe(0);
    expect(good.report).toMatchObject({ ok: true, manifest: { id: 'fixture', version: '1.0.0', sha256: 'match' } });

    const other = modelFile(pytorchLogits({ columns: 2 }));
    const bad = await check(other.model, `--manifest=${manifest}`);
    expect(bad.code).toBe(1);
    expect(bad.report).toMatchObject({ ok: false, code: 'VITRIN_ERR_MODEL_CHECKSUM', manifest: { sha256: 'differs' } });
    expect(bad.report.problems).toEqual(
      expect.arrayContaining([expect.stringContaining('the manifest says'), 'input "float_input" not in the model (it has: input)', 'output "output_probability" not in the model (it has: logits)']),
    );
    expect(bad.err[0]).toMatch(/^VITRIN_ERR_MODEL_CHECKSUM: /);
  });

  it('refuses truncated, garbage and missing files with a code and exit 1, never a stack trace', async () => {
    const fixture = catboostClassifier();
    const truncated = await check(modelFile(fixture, fixture.bytes.subarray(0, fixture.bytes.length / 2)).model);
    expect(truncated.code).toBe(1);
    expect(truncated.report).toMatchObject({ ok: false, code: 'VITRIN_ERR_MODEL_FORMAT', inputs: [], outputs: [], batch: null, probability: null });
    expect(truncated.report.problems[0]).toMatch(/is not an ONNX model: truncated: field 7 needs \d+ bytes, \d+ remain \(byte \d+ of \d+\)/);

    const garbage = modelFile(fixture);
    writeFileSync(garbage.model, 'GIF89a');
    expect((await check(garbage.model)).report).toMatchObject({ ok: false, code: 'VITRIN_ERR_MODEL_FORMAT' });

    const missing = await check(join(PACKAGE_ROOT, 'no-such-model.onnx'));
    expect(missing.code).toBe(1);
    expect(missing.report).toMatchObject({ ok: false, code: 'VITRIN_ERR_MODEL_LOAD' });
  });

  it('exits 1 for a model that gives only a label, saying what to export instead', async () => {
    const bytes = writeOnnxModel({
      irVersion: 8, opsets: [{ domain: '', version: 17 }],
      graph: {
        name: 'argmax',
        nodes: [{ opType: 'ArgMax', inputs: ['x'], outputs: ['label'], attributes: [{ name: 'axis', i: 1 }, { name: 'keepdims', i: 0 }] }],
        inputs: [{ name: 'x', type: { tensor: ELEM.FLOAT, shape: ['N', 3] } }],
        outputs: [{ name: 'label', type: { tensor: ELEM.INT64, shape: ['N'] } }],
      },
    });
    const { report, code } = await check(modelFile(kerasMlp(), bytes).model);
    expect(code).toBe(1);
    expect(report).toMatchObject({ ok: false, code: 'VITRIN_ERR_MODEL_UNSUPPORTED', probability: null });
    expect(report.problems).toEqual(['the model outputs only a class label ("label"), no probabilities: scores would be 0 or 1; export the probabilities, or say output.kind "label" in a manifest']);
  });

  it('a usage error without a file', async () => {
    const { code, err } = await check();
    expect(code).toBe(2);
    expect(err[0]).toBe('VITRIN_ERR_CLI_USAGE: model check needs a model file: vitrin model check <file.onnx> [--manifest m.json]');
  });

  it('runs as the installed command does: JSON on stdout, the code on stderr, exit 1', async () => {
    const fixture = kerasMlp();
    const { model } = modelFile(fixture, fixture.bytes.subarray(0, 10));
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', join(PACKAGE_ROOT, 'gateway', 'bin.ts'), 'model', 'check', model], { cwd: PACKAGE_ROOT });
    const failure = (await run.then(() => undefined, (e: unknown) => e)) as { code: number; stdout: string; stderr: string };
    expect(failure.code).toBe(1);
    expect(JSON.parse(failure.stdout)).toMatchObject({ ok: false, code: 'VITRIN_ERR_MODEL_FORMAT' });
    expect(failure.stderr).toMatch(/^VITRIN_ERR_MODEL_FORMAT: /);
    expect(failure.stderr).not.toMatch(/\n\s+at /);
  });
});

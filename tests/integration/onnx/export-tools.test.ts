import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadModelPackage, type OnnxScorer } from '../../../adapters/onnx/onnx-scorer.js';
import {
  catboostClassifier,
  kerasMlp,
  onnxmltoolsTrees,
  PROBE_ROWS,
  pytorchLogits,
  sklearnLogistic,
  writePackage,
  type Fixture,
} from '../../support/onnx-fixtures.js';

// Each tool's export shape, loaded as a package and scored on ONNX Runtime: the
// Scorer gives the probability of the positive class that the fixture's own
// arithmetic gives, not a label and not the other class.

const log = pino({ level: 'silent' });
const open: OnnxScorer[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.stop()));
});

async function load(fixture: Fixture, edit?: (manifest: Record<string, unknown>) => void): Promise<OnnxScorer> {
  const dir = writePackage(fixture, edit);
  const scorer = await loadModelPackage({ model: join(dir, 'model.onnx'), manifest: join(dir, 'manifest.json') }, log);
  open.push(scorer);
  return scorer;
}

async function scores(scorer: OnnxScorer, rows: readonly (readonly number[])[] = PROBE_ROWS): Promise<number[]> {
  const width = rows[0]?.length ?? 0;
  return [...(await scorer.score({ rows: rows.length, width, values: Float32Array.from(rows.flat()) }))];
}

function expectClose(actual: readonly number[], expected: readonly number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i]!, 5));
}

describe('models as the export tools write them, scored on ONNX Runtime', () => {
  it.each([
    ['scikit-learn through skl2onnx, ZipMap (the default)', sklearnLogistic({ zipmap: true })],
    ['scikit-learn through skl2onnx, zipmap=False', sklearnLogistic({ zipmap: false })],
    ['CatBoost, ai.onnx.ml opset only, ZipMap', catboostClassifier()],
    ['tree ensemble through onnxmltools, ai.onnx.ml opset only', onnxmltoolsTrees()],
    ['Keras through tf2onnx, one sigmoid column', kerasMlp()],
    ['PyTorch, fixed batch of 1, two logits', pytorchLogits({ columns: 2 })],
    ['PyTorch, fixed batch of 1, one logit', pytorchLogits({ columns: 1 })],
  ])('%s: the positive class probability for every row', async (_name, fixture) => {
    const scorer = await load(fixture);
    const got = await scores(scorer);
    expectClose(got, PROBE_ROWS.map(fixture.expected));
    // Not a label: the probe rows give probabilities strictly between 0 and 1, both sides of 0.5.
    expect(got.some((p) => p > 0.5) && got.some((p) => p < 0.5)).toBe(true);
  });

  it('runs a fixed-batch model row by row, however many rows a card has', async () => {
    const fixture = pytorchLogits({ columns: 2 });
    const scorer = await load(fixture);
    expect(scorer.plan.batch).toBe('fixed');
    const rows = [...PROBE_ROWS, ...PROBE_ROWS, [0.3, 0.3, 0.3]];
    expectClose(await scores(scorer, rows), rows.map(fixture.expected));
    expect(await scores(scorer, [])).toEqual([]);
  });

  it('reads the class a manifest names through ZipMap labels, numbers or text', async () => {
    const text = sklearnLogistic({ zipmap: true, labels: ['no', 'yes'] });
    const no = await load(text, (m) => (m.output = { name: 'output_probability', kind: 'probability', positiveClass: 'no' }));
    expectClose(await scores(no), PROBE_ROWS.map((r) => 1 - text.expected(r)));
    const numbers = sklearnLogistic({ zipmap: true });
    const one = await load(numbers, (m) => (m.output = { name: 'output_probability', kind: 'probability', positiveClass: '1' }));
    expectClose(await scores(one), PROBE_ROWS.map(numbers.expected));
  });

  it('also reads a ZipMap model when the manifest names the tensor under ZipMap', async () => {
    const fixture = catboostClassifier();
    const scorer = await load(fixture, (m) => (m.output = { name: 'probability_tensor', kind: 'probability', column: 1 }));
    expectClose(await scores(scorer), PROBE_ROWS.map(fixture.expected));
  });

  it('scores 1 or 0 from a label output when the manifest asks for the label', async () => {
    const fixture = sklearnLogistic({ zipmap: false });
    const scorer = await load(fixture, (m) => (m.output = { name: 'output_label', kind: 'label', positiveClass: 1 }));
    expect(await scores(scorer)).toEqual(PROBE_ROWS.map((r) => (fixture.expected(r) > 0.5 ? 1 : 0)));
  });
});

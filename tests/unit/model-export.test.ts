import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../gateway/package-root.js';
import { parseManifest } from '../../gateway/scoring/manifest.js';
import { trainPropensityModel } from '../../models/train/train-propensity.js';

const shipped = join(PACKAGE_ROOT, 'models', 'propensity');

describe('the shipped propensity model is reproducible', () => {
  it('training twice gives the same bytes', () => {
    expect(Buffer.from(trainPropensityModel().onnx)).toEqual(Buffer.from(trainPropensityModel().onnx));
  });

  it('models/propensity is exactly what `npm run train` produces', () => {
    const { onnx, manifest } = trainPropensityModel();
    const file = readFileSync(join(shipped, 'model.onnx'));
    expect(createHash('sha256').update(file).digest('hex')).toBe(manifest.sha256);
    expect(Buffer.from(onnx)).toEqual(file);
    expect(JSON.parse(readFileSync(join(shipped, 'manifest.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(manifest)));
  });

  it('learns something: holdout AUC well above chance', () => {
    expect(trainPropensityModel().manifest.metrics?.holdoutAuc).toBeGreaterThan(0.7);
  });
});

describe('parseManifest', () => {
  it('lists every problem with its path', () => {
    expect(parseManifest({ id: '', sha256: 'xyz', input: { name: 'x', batch: 'sometimes' }, features: [{ name: 'a', type: 'text' }], output: {} }).problems).toEqual([
      '/id: must be a non-empty string',
      '/version: must be a non-empty string',
      '/sha256: must be 64 lower-case hex digits',
      '/input/batch: must be "dynamic" or "fixed"',
      '/output/name: must be a string',
      '/output/kind: must be "probability", "logit" or "label"',
      '/output/column: must be an integer >= 0',
      '/features/0/type: must be "number" or "boolean"',
      '/features/0/default: must be a finite number',
    ]);
  });
});

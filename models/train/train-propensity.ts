// Trains and exports models/propensity: a logistic regression of "buys on this
// visit" over member and moment features. Deterministic: a seeded PRNG, full-batch
// gradient descent with a fixed number of epochs, so running it again rebuilds the
// shipped model byte for byte (a unit test checks that).
//
//   npm run model:train        (writes models/propensity/model.onnx and manifest.json)
//
// The training data is synthetic: visits drawn from plausible distributions and
// labelled by a known rule plus noise. A retailer replaces this with its own
// exported history; the export path and manifest stay the same.

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ManifestFeature, ModelManifest } from '../../gateway/scoring/manifest.js';
import { seededRandom } from '../../gateway/util/seeded-random.js';
import { writeLogisticOnnx } from './onnx-writer.js';

export const FEATURES: readonly ManifestFeature[] = [
  { name: 'recencyDays', type: 'number', default: 90, description: 'Days since the last purchase.' },
  { name: 'frequency90d', type: 'number', default: 0, description: 'Purchases in the last 90 days.' },
  { name: 'monetary90d', type: 'number', default: 0, description: 'Spend in the last 90 days, store currency.' },
  { name: 'tierLevel', type: 'number', default: 0, description: 'Loyalty tier: 0 none, 1 silver, 2 gold, 3 platinum.' },
  { name: 'cartItems', type: 'number', default: 0, description: 'Items in the app cart.' },
  { name: 'wishlistItems', type: 'number', default: 0, description: 'Items on the wishlist.' },
  { name: 'priceDropsOnWishlist', type: 'number', default: 0, description: 'Wishlist items whose price fell.' },
  { name: 'appSessions7d', type: 'number', default: 0, description: 'App sessions in the last 7 days.' },
  { name: 'dwellSeconds', type: 'number', default: 0, description: 'Seconds in the current zone.' },
  { name: 'zoneIsPos', type: 'boolean', default: 0, description: '1 when the member is at a till.' },
  { name: 'hourOfDay', type: 'number', default: 12, description: 'Local hour, 0-23.' },
  { name: 'visitsThisWeek', type: 'number', default: 0, description: 'Store visits this week, this one excluded.' },
];

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function syntheticVisits(count: number, random: () => number): { x: number[][]; y: number[] } {
  const int = (max: number) => Math.floor(random() * (max + 1));
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < count; i++) {
    const frequency = int(8);
    const row = [
      int(150), frequency, frequency * (100 + random() * 400), int(3), int(4), int(8), int(2),
      int(20), random() * 300, random() < 0.3 ? 1 : 0, 9 + int(12), int(3),
    ];
    const [recency, , monetary, tier, cart, , drops, sessions, dwell, pos, hour, visits] = row as [number, number, number, number, number, number, number, number, number, number, number, number];
    const truth =
      -2.6 - 0.012 * recency + 0.18 * frequency + 0.0002 * monetary + 0.25 * tier + 0.45 * cart + 0.5 * drops +
      0.06 * sessions + 0.003 * Math.min(dwell, 240) + 1.2 * pos - 0.02 * Math.abs(hour - 18) + 0.15 * visits;
    x.push(row);
    y.push(random() < sigmoid(truth + 0.5 * (random() - 0.5)) ? 1 : 0);
  }
  return { x, y };
}

function auc(scores: readonly number[], labels: readonly number[]): number {
  const order = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  let positives = 0;
  order.forEach(([, label], i) => {
    if (label === 1) {
      rankSum += i + 1;
      positives++;
    }
  });
  const negatives = order.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function trainPropensityModel(): { onnx: Uint8Array; manifest: ModelManifest } {
  const random = seededRandom(20261123);
  const train = syntheticVisits(8000, random);
  const holdout = syntheticVisits(2000, random);
  const width = FEATURES.length;
  const mean = Array.from({ length: width }, (_, j) => train.x.reduce((s, r) => s + r[j]!, 0) / train.x.length);
  const std = mean.map((m, j) => Math.sqrt(train.x.reduce((s, r) => s + (r[j]! - m) ** 2, 0) / train.x.length) || 1);
  const scaled = train.x.map((r) => r.map((v, j) => (v - mean[j]!) / std[j]!));

  const w = new Array<number>(width).fill(0);
  let b = 0;
  const rate = 0.5;
  for (let epoch = 0; epoch < 400; epoch++) {
    const grad = new Array<number>(width).fill(0);
    let gradB = 0;
    scaled.forEach((row, i) => {
      const error = sigmoid(row.reduce((s, v, j) => s + v * w[j]!, b)) - train.y[i]!;
      row.forEach((v, j) => (grad[j]! += error * v));
      gradB += error;
    });
    for (let j = 0; j < width; j++) w[j]! -= (rate * grad[j]!) / scaled.length;
    b -= (rate * gradB) / scaled.length;
  }

  // Fold the standardisation into the weights so the model takes raw features.
  const weights = w.map((wj, j) => wj / std[j]!);
  const bias = b - w.reduce((s, wj, j) => s + (wj * mean[j]!) / std[j]!, 0);
  const predict = (row: readonly number[]) => sigmoid(row.reduce((s, v, j) => s + v * weights[j]!, bias));
  const logLoss = -train.x.reduce((s, r, i) => {
    const p = Math.min(Math.max(predict(r), 1e-7), 1 - 1e-7);
    return s + (train.y[i] === 1 ? Math.log(p) : Math.log(1 - p));
  }, 0) / train.x.length;
  const holdoutAuc = auc(holdout.x.map(predict), holdout.y);

  const onnx = writeLogisticOnnx({
    weights,
    bias,
    inputName: 'features',
    outputName: 'probability',
    docString: 'Vitrin propensity: probability that a member buys on this visit.',
    metadata: { 'vitrin.model.id': 'propensity', 'vitrin.model.version': '1.0.0' },
  });
  const round = (v: number) => Math.round(v * 10000) / 10000;
  return {
    onnx,
    manifest: {
      id: 'propensity',
      version: '1.0.0',
      sha256: createHash('sha256').update(onnx).digest('hex'),
      input: { name: 'features', batch: 'dynamic' },
      features: FEATURES,
      output: { name: 'probability', kind: 'probability', column: 0 },
      trainedOn: '8,000 synthetic visits (seed 20261123), logistic regression, 400 epochs of full-batch gradient descent',
      metrics: { trainLogLoss: round(logLoss), holdoutAuc: round(holdoutAuc) },
    },
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'propensity');
  const { onnx, manifest } = trainPropensityModel();
  writeFileSync(join(dir, 'model.onnx'), onnx);
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(JSON.stringify({ wrote: dir, bytes: onnx.length, ...manifest.metrics, sha256: manifest.sha256 }));
}

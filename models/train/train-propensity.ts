// Trains and exports models/propensity: a logistic regression over rows of two kinds,
// scored together in one batch per card:
//  - the visit row (candidateIsVisit = 1): does the member buy anything on this visit?
//    Its probability is the card's propensity;
//  - one row per candidate (a cart or wishlist item in stock here, a complement, an
//    offer): does the member buy this? The best rows become the card's suggestions.
// Deterministic: a seeded PRNG, full-batch gradient descent with a fixed number of
// epochs, so running it again rebuilds the shipped model byte for byte (a unit test
// checks that).
//
//   npm run train        (writes models/propensity/model.onnx and manifest.json)
//
// THE TRAINING DATA IS SYNTHETIC: visits and candidates drawn from plausible
// distributions and labelled by a known rule plus noise. It shows the pipeline end to
// end and says nothing about real shoppers. A retailer replaces it with its own
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
  { name: 'weekday', type: 'number', default: 2, description: 'Local weekday, 0 Monday to 6 Sunday.' },
  { name: 'visitsThisWeek', type: 'number', default: 0, description: 'Store visits this week, this one excluded.' },
  { name: 'segmentCount', type: 'number', default: 0, description: 'Marketing segments the member is in.' },
  { name: 'openServiceCase', type: 'boolean', default: 0, description: '1 when the member has an open service case (a repair, an alteration).' },
  { name: 'candidateIsVisit', type: 'boolean', default: 1, description: "1 on the visit's own row (buys anything), 0 on a candidate's." },
  { name: 'candidateIsCart', type: 'boolean', default: 0, description: 'The candidate is in the app cart.' },
  { name: 'candidateIsWishlist', type: 'boolean', default: 0, description: 'The candidate is on the wishlist.' },
  { name: 'candidateIsComplement', type: 'boolean', default: 0, description: 'The candidate goes with a saved item.' },
  { name: 'candidateIsOffer', type: 'boolean', default: 0, description: 'The candidate is an offer.' },
  { name: 'candidatePrice', type: 'number', default: 0, description: "The candidate's price here, store currency (0 for offers)." },
  { name: 'candidatePriceDropPct', type: 'number', default: 0, description: 'How far its price fell, percent.' },
  { name: 'candidateInStock', type: 'boolean', default: 0, description: 'On hand in this store.' },
  { name: 'candidateAffinity', type: 'number', default: 0, description: "Share of the member's saved items in the candidate's category, 0-1." },
];

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

type Row = number[];

/** Visits, each with its own row and 1-5 candidate rows, in FEATURES order. */
function syntheticVisits(count: number, random: () => number): { x: Row[]; y: number[]; visit: boolean[] } {
  const int = (max: number) => Math.floor(random() * (max + 1));
  const x: Row[] = [];
  const y: number[] = [];
  const visit: boolean[] = [];
  for (let i = 0; i < count; i++) {
    const frequency = int(8);
    const member = [int(150), frequency, frequency * (100 + random() * 400), int(3), int(4), int(8), int(2), int(20), random() * 300, random() < 0.3 ? 1 : 0, 9 + int(12), int(6), int(3), int(3), random() < 0.1 ? 1 : 0];
    const [recency, , monetary, tier, cart, , drops, sessions, dwell, pos, hour, weekday, visits, , serviceCase] = member as [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
    const base =
      -2.6 - 0.012 * recency + 0.18 * frequency + 0.0002 * monetary + 0.25 * tier + 0.45 * cart + 0.5 * drops + 0.06 * sessions +
      0.003 * Math.min(dwell, 240) + 1.2 * pos - 0.02 * Math.abs(hour - 18) + (weekday >= 5 ? 0.2 : 0) + 0.15 * visits + 0.3 * serviceCase;
    x.push([...member, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    y.push(random() < sigmoid(base + 0.5 * (random() - 0.5)) ? 1 : 0);
    visit.push(true);
    for (let c = 1 + int(4); c > 0; c--) {
      const kind = int(3);
      const price = kind === 3 ? 0 : 200 + random() * 3000;
      const dropPct = kind !== 3 && random() < 0.25 ? 5 + random() * 30 : 0;
      const affinity = random() < 0.5 ? random() : 0;
      const truth = base - 0.8 + [1.0, 0.2, -0.6, -0.3][kind]! + 0.03 * dropPct + 1.2 * affinity - 0.0003 * price;
      x.push([...member, 0, kind === 0 ? 1 : 0, kind === 1 ? 1 : 0, kind === 2 ? 1 : 0, kind === 3 ? 1 : 0, price, dropPct, kind === 3 ? 0 : 1, affinity]);
      y.push(random() < sigmoid(truth + 0.5 * (random() - 0.5)) ? 1 : 0);
      visit.push(false);
    }
  }
  return { x, y, visit };
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
  const part = (visitRows: boolean) => {
    const rows = holdout.x.filter((_, i) => holdout.visit[i] === visitRows);
    return auc(rows.map(predict), holdout.y.filter((_, i) => holdout.visit[i] === visitRows));
  };
  const holdoutAuc = auc(holdout.x.map(predict), holdout.y);

  const onnx = writeLogisticOnnx({
    weights,
    bias,
    inputName: 'features',
    outputName: 'probability',
    docString: 'Vitrin propensity: probability that a member buys on this visit (visit row) or buys this candidate (candidate rows). Trained on synthetic data.',
    metadata: { 'vitrin.model.id': 'propensity', 'vitrin.model.version': '2.0.0' },
  });
  const round = (v: number) => Math.round(v * 10000) / 10000;
  return {
    onnx,
    manifest: {
      id: 'propensity',
      version: '2.0.0',
      sha256: createHash('sha256').update(onnx).digest('hex'),
      input: { name: 'features', batch: 'dynamic' },
      features: FEATURES,
      output: { name: 'probability', kind: 'probability', column: 0 },
      trainedOn: `SYNTHETIC data: 8,000 made-up visits with ${train.x.length - 8000} candidate rows (seed 20261123), logistic regression, 400 epochs of full-batch gradient descent; not real shoppers`,
      metrics: { trainLogLoss: round(logLoss), holdoutAuc: round(holdoutAuc), holdoutAucVisit: round(part(true)), holdoutAucCandidates: round(part(false)) },
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

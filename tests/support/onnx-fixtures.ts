// Models shaped exactly like what the usual export tools write (node types, domains,
// opset imports, input and output names and types), built with the project's own
// ONNX writer so that no binary is checked in. Each fixture carries a reference
// implementation in plain TypeScript: the probability of the positive class that a
// test computes independently of ONNX Runtime.

import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ELEM, writeOnnxModel, type NodeSpec } from '../../models/train/onnx-writer.js';

export interface Fixture {
  readonly bytes: Uint8Array;
  readonly width: number;
  /** The probability of the positive class for one row, computed without ONNX. */
  readonly expected: (row: readonly number[]) => number;
  /** The manifest `input` and `output` a package of this model would carry. */
  readonly input: { readonly name: string; readonly batch: 'dynamic' | 'fixed' };
  readonly output: Readonly<Record<string, unknown>>;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const dot = (w: readonly number[], x: readonly number[], b: number) => w.reduce((s, wj, j) => s + wj * (x[j] ?? 0), b);
const f32 = (v: number) => Math.fround(v);

/**
 * scikit-learn LogisticRegression through skl2onnx: LinearClassifier (both classes'
 * coefficients, LOGISTIC) → Normalizer L1, label through Cast, and by default a
 * ZipMap turning the probabilities into seq(map(int64, tensor(float))).
 */
export function sklearnLogistic(options: { zipmap: boolean; labels?: readonly (number | string)[] }): Fixture {
  const coef = [0.8, -0.5, 0.25];
  const intercept = -0.3;
  const labels = options.labels ?? [0, 1];
  const strings = labels.some((l) => typeof l === 'string');
  const labelAttr = strings ? { strings: labels.map(String) } : { ints: labels.map(Number) };
  const probabilities = options.zipmap ? 'probabilities' : 'output_probability';
  const nodes: NodeSpec[] = [
    {
      opType: 'LinearClassifier', domain: 'ai.onnx.ml', name: 'LinearClassifier', inputs: ['float_input'], outputs: ['label', 'probability_tensor'],
      attributes: [
        { name: strings ? 'classlabels_strings' : 'classlabels_ints', ...labelAttr },
        { name: 'coefficients', floats: [...coef.map((c) => -c), ...coef] },
        { name: 'intercepts', floats: [-intercept, intercept] },
        { name: 'multi_class', i: 0 },
        { name: 'post_transform', s: 'LOGISTIC' },
      ],
    },
    { opType: 'Normalizer', domain: 'ai.onnx.ml', name: 'Normalizer', inputs: ['probability_tensor'], outputs: [probabilities], attributes: [{ name: 'norm', s: 'L1' }] },
    strings
      ? { opType: 'Identity', domain: '', name: 'Identity', inputs: ['label'], outputs: ['output_label'] }
      : { opType: 'Cast', domain: '', name: 'Cast', inputs: ['label'], outputs: ['output_label'], attributes: [{ name: 'to', i: ELEM.INT64 }] },
  ];
  if (options.zipmap) {
    nodes.push({
      opType: 'ZipMap', domain: 'ai.onnx.ml', name: 'ZipMap', inputs: ['probabilities'], outputs: ['output_probability'],
      attributes: [strings ? { name: 'classlabels_strings', strings: labels.map(String) } : { name: 'classlabels_int64s', ints: labels.map(Number) }],
    });
  }
  const key = strings ? ELEM.STRING : ELEM.INT64;
  const bytes = writeOnnxModel({
    irVersion: 8, producerName: 'skl2onnx', producerVersion: '1.17.0', domain: 'ai.onnx', modelVersion: 0,
    opsets: [{ domain: 'ai.onnx.ml', version: 1 }, { domain: '', version: 17 }],
    graph: {
      name: '8b1ed3b1a5f04e04a5a1b2f6cbd0e3c7',
      nodes,
      inputs: [{ name: 'float_input', type: { tensor: ELEM.FLOAT, shape: [null, coef.length] } }],
      outputs: [
        { name: 'output_label', type: { tensor: key, shape: [null] } },
        options.zipmap
          ? { name: 'output_probability', type: { sequence: { map: { key, value: { tensor: ELEM.FLOAT } } } } }
          : { name: 'output_probability', type: { tensor: ELEM.FLOAT, shape: [null, labels.length] } },
      ],
    },
  });
  return {
    bytes, width: coef.length,
    expected: (row) => sigmoid(dot(coef, row, intercept)),
    input: { name: 'float_input', batch: 'dynamic' },
    output: { name: 'output_probability', kind: 'probability', positiveClass: labels[1] },
  };
}

interface ObliviousTree {
  /** Split j tests feature > border; bit j of the leaf index is its outcome. */
  readonly splits: readonly { readonly feature: number; readonly border: number }[];
  readonly leaves: readonly number[];
}

const TREES: readonly ObliviousTree[] = [
  { splits: [{ feature: 0, border: 0.5 }, { feature: 2, border: 1.5 }], leaves: [-0.6, 0.4, 0.1, 0.9] },
  { splits: [{ feature: 1, border: -0.25 }], leaves: [0.3, -0.7] },
];
const TREE_BIAS = 0.15;

function treeScore(row: readonly number[], bias: number): number {
  return TREES.reduce((sum, tree) => {
    const leaf = tree.splits.reduce((index, s, j) => index | ((row[s.feature] ?? 0) > f32(s.border) ? 1 << j : 0), 0);
    return sum + (tree.leaves[leaf] ?? 0);
  }, bias);
}

/** The tree attributes of TreeEnsembleClassifier for TREES, numbered as CatBoost numbers them. */
function treeAttributes(weights: (value: number) => readonly (readonly [classId: number, weight: number])[]) {
  const nodes = { treeids: [] as number[], nodeids: [] as number[], modes: [] as string[], featureids: [] as number[], values: [] as number[], falsenodeids: [] as number[], truenodeids: [] as number[] };
  const cls = { treeids: [] as number[], nodeids: [] as number[], ids: [] as number[], weights: [] as number[] };
  TREES.forEach((tree, t) => {
    const depth = tree.splits.length;
    let node = 0;
    for (let level = 0; level < depth; level++) {
      const split = tree.splits[depth - 1 - level]!;
      for (const end = 2 * node + 1; node < end; node++) {
        nodes.treeids.push(t); nodes.nodeids.push(node); nodes.modes.push('BRANCH_GT'); nodes.featureids.push(split.feature);
        nodes.values.push(split.border); nodes.falsenodeids.push(2 * node + 1); nodes.truenodeids.push(2 * node + 2);
      }
    }
    tree.leaves.forEach((value) => {
      nodes.treeids.push(t); nodes.nodeids.push(node); nodes.modes.push('LEAF'); nodes.featureids.push(0);
      nodes.values.push(0); nodes.falsenodeids.push(0); nodes.truenodeids.push(0);
      for (const [id, weight] of weights(value)) {
        cls.treeids.push(t); cls.nodeids.push(node); cls.ids.push(id); cls.weights.push(weight);
      }
      node++;
    });
  });
  return { nodes, cls };
}

/**
 * CatBoost's own export (`save_model(format="onnx")`): only the ai.onnx.ml opset, input
 * `features` [N, F], an unnamed TreeEnsembleClassifier (LOGISTIC, weights -v and +v
 * for classes 0 and 1) and a ZipMap to `probabilities`. A Logloss model has no bias
 * (boost_from_average is off), so CatBoost writes no base_values; with two of them
 * ONNX Runtime reads a binary ensemble its own way (microsoft/onnxruntime#1007).
 */
export function catboostClassifier(): Fixture {
  const { nodes, cls } = treeAttributes((v) => [[0, -v], [1, v]]);
  const width = 3;
  const bytes = writeOnnxModel({
    irVersion: 6, producerName: 'CatBoost', producerVersion: '1.2.5',
    opsets: [{ domain: 'ai.onnx.ml', version: 2 }],
    graph: {
      name: 'CatBoostModel',
      nodes: [
        {
          opType: 'TreeEnsembleClassifier', domain: 'ai.onnx.ml', inputs: ['features'], outputs: ['label', 'probability_tensor'],
          attributes: [
            { name: 'classlabels_int64s', ints: [0, 1] }, { name: 'post_transform', s: 'LOGISTIC' },
            { name: 'class_ids', ints: cls.ids }, { name: 'class_nodeids', ints: cls.nodeids }, { name: 'class_treeids', ints: cls.treeids },
            { name: 'class_weights', floats: cls.weights },
            { name: 'nodes_falsenodeids', ints: nodes.falsenodeids }, { name: 'nodes_featureids', ints: nodes.featureids },
            { name: 'nodes_hitrates', floats: nodes.treeids.map(() => 1) }, { name: 'nodes_missing_value_tracks_true', ints: nodes.treeids.map(() => 0) },
            { name: 'nodes_modes', strings: nodes.modes }, { name: 'nodes_nodeids', ints: nodes.nodeids }, { name: 'nodes_treeids', ints: nodes.treeids },
            { name: 'nodes_truenodeids', ints: nodes.truenodeids }, { name: 'nodes_values', floats: nodes.values },
          ],
        },
        { opType: 'ZipMap', domain: 'ai.onnx.ml', inputs: ['probability_tensor'], outputs: ['probabilities'], attributes: [{ name: 'classlabels_int64s', ints: [0, 1] }] },
      ],
      inputs: [{ name: 'features', type: { tensor: ELEM.FLOAT, shape: ['N', width] } }],
      outputs: [
        { name: 'label', type: { tensor: ELEM.INT64, shape: ['N'] } },
        { name: 'probabilities', type: { sequence: { map: { key: ELEM.INT64, value: { tensor: ELEM.FLOAT } } } } },
      ],
      valueInfo: [{ name: 'probability_tensor', type: { tensor: ELEM.FLOAT, shape: ['N', 2] } }],
    },
  });
  return {
    bytes, width,
    expected: (row) => sigmoid(treeScore(row, 0)),
    input: { name: 'features', batch: 'dynamic' },
    output: { name: 'probabilities', kind: 'probability', positiveClass: 1 },
  };
}

/**
 * A gradient-boosted binary classifier through onnxmltools with zipmap=False: only the
 * ai.onnx.ml opset, one weight per leaf for class 0 (ONNX Runtime's binary case gives
 * [1 - p, p]), outputs `label` and a `probabilities` tensor.
 */
export function onnxmltoolsTrees(): Fixture {
  const { nodes, cls } = treeAttributes((v) => [[0, v]]);
  const width = 3;
  const bytes = writeOnnxModel({
    irVersion: 7, producerName: 'OnnxMLTools', producerVersion: '1.12.0', domain: 'onnxconverter-common', modelVersion: 0,
    opsets: [{ domain: 'ai.onnx.ml', version: 1 }],
    graph: {
      name: 'a5c3e0f6d2b34c8f9e1d7b6a4c2e0f18',
      nodes: [
        {
          opType: 'TreeEnsembleClassifier', domain: 'ai.onnx.ml', name: 'TreeEnsembleClassifier', inputs: ['input'], outputs: ['label', 'probabilities'],
          attributes: [
            { name: 'base_values', floats: [TREE_BIAS] }, { name: 'class_ids', ints: cls.ids }, { name: 'class_nodeids', ints: cls.nodeids },
            { name: 'class_treeids', ints: cls.treeids }, { name: 'class_weights', floats: cls.weights }, { name: 'classlabels_int64s', ints: [0, 1] },
            { name: 'nodes_falsenodeids', ints: nodes.falsenodeids }, { name: 'nodes_featureids', ints: nodes.featureids },
            { name: 'nodes_modes', strings: nodes.modes }, { name: 'nodes_nodeids', ints: nodes.nodeids }, { name: 'nodes_treeids', ints: nodes.treeids },
            { name: 'nodes_truenodeids', ints: nodes.truenodeids }, { name: 'nodes_values', floats: nodes.values }, { name: 'post_transform', s: 'LOGISTIC' },
          ],
        },
      ],
      inputs: [{ name: 'input', type: { tensor: ELEM.FLOAT, shape: [null, width] } }],
      outputs: [
        { name: 'label', type: { tensor: ELEM.INT64, shape: [null] } },
        { name: 'probabilities', type: { tensor: ELEM.FLOAT, shape: [null, 2] } },
      ],
    },
  });
  return {
    bytes, width,
    expected: (row) => sigmoid(treeScore(row, TREE_BIAS)),
    input: { name: 'input', batch: 'dynamic' },
    output: { name: 'probabilities', kind: 'probability', column: 1 },
  };
}

const W1 = [
  [0.5, -0.3, 0.2, 0.1],
  [-0.4, 0.6, 0.3, -0.2],
  [0.1, 0.2, -0.5, 0.4],
];
const B1 = [0.05, -0.1, 0.2, 0];
const W2 = [0.7, -0.6, 0.4, 0.9];
const B2 = -0.2;

function hidden(row: readonly number[]): number[] {
  return B1.map((b, h) => Math.max(0, W1.reduce((s, w, j) => s + (w[h] ?? 0) * (row[j] ?? 0), b)));
}

/** Keras Dense(4, relu) → Dense(1, sigmoid) through tf2onnx: MatMul/Add/Relu/MatMul/Add/Sigmoid, input `input_1` ['unk__6', 3]. */
export function kerasMlp(): Fixture {
  const bytes = writeOnnxModel({
    irVersion: 8, producerName: 'tf2onnx', producerVersion: '1.16.1 15c810',
    opsets: [{ domain: '', version: 15 }],
    graph: {
      name: 'tf2onnx',
      nodes: [
        { opType: 'MatMul', name: 'sequential/dense/MatMul', inputs: ['input_1', 'sequential/dense/MatMul/ReadVariableOp:0'], outputs: ['sequential/dense/MatMul:0'] },
        { opType: 'Add', name: 'sequential/dense/BiasAdd', inputs: ['sequential/dense/MatMul:0', 'sequential/dense/BiasAdd/ReadVariableOp:0'], outputs: ['sequential/dense/BiasAdd:0'] },
        { opType: 'Relu', name: 'sequential/dense/Relu', inputs: ['sequential/dense/BiasAdd:0'], outputs: ['sequential/dense/Relu:0'] },
        { opType: 'MatMul', name: 'sequential/dense_1/MatMul', inputs: ['sequential/dense/Relu:0', 'sequential/dense_1/MatMul/ReadVariableOp:0'], outputs: ['sequential/dense_1/MatMul:0'] },
        { opType: 'Add', name: 'sequential/dense_1/BiasAdd', inputs: ['sequential/dense_1/MatMul:0', 'sequential/dense_1/BiasAdd/ReadVariableOp:0'], outputs: ['sequential/dense_1/BiasAdd:0'] },
        { opType: 'Sigmoid', name: 'sequential/dense_1/Sigmoid', inputs: ['sequential/dense_1/BiasAdd:0'], outputs: ['dense_1'] },
      ],
      initializers: [
        { name: 'sequential/dense/MatMul/ReadVariableOp:0', dims: [3, 4], values: W1.flat(), raw: true },
        { name: 'sequential/dense/BiasAdd/ReadVariableOp:0', dims: [4], values: B1, raw: true },
        { name: 'sequential/dense_1/MatMul/ReadVariableOp:0', dims: [4, 1], values: W2, raw: true },
        { name: 'sequential/dense_1/BiasAdd/ReadVariableOp:0', dims: [1], values: [B2], raw: true },
      ],
      inputs: [{ name: 'input_1', type: { tensor: ELEM.FLOAT, shape: ['unk__6', 3] } }],
      outputs: [{ name: 'dense_1', type: { tensor: ELEM.FLOAT, shape: ['unk__7', 1] } }],
    },
  });
  return {
    bytes, width: 3,
    expected: (row) => sigmoid(dot(W2, hidden(row), B2)),
    input: { name: 'input_1', batch: 'dynamic' },
    output: { name: 'dense_1', kind: 'probability', column: 0 },
  };
}

/**
 * A PyTorch MLP through torch.onnx.export without dynamic_axes: batch fixed at 1,
 * Gemm(transB=1)/Relu/Gemm, `logits` over two classes (CrossEntropyLoss), or one
 * (BCEWithLogitsLoss) when `columns` is 1.
 */
export function pytorchLogits(options: { columns: 1 | 2; batch?: number } = { columns: 2 }): Fixture {
  const batch = options.batch ?? 1;
  const fc2 = options.columns === 2 ? [W2.map((w) => -w / 2), W2.map((w) => w / 2)] : [W2];
  const fc2Bias = options.columns === 2 ? [-B2 / 2, B2 / 2] : [B2];
  const transpose = (m: readonly (readonly number[])[]) => (m[0] ?? []).map((_, c) => m.map((r) => r[c] ?? 0));
  const bytes = writeOnnxModel({
    irVersion: 8, producerName: 'pytorch', producerVersion: '2.1.0',
    opsets: [{ domain: '', version: 17 }],
    graph: {
      name: 'main_graph',
      nodes: [
        { opType: 'Gemm', name: '/fc1/Gemm', inputs: ['input', 'fc1.weight', 'fc1.bias'], outputs: ['/fc1/Gemm_output_0'], attributes: [{ name: 'alpha', f: 1 }, { name: 'beta', f: 1 }, { name: 'transB', i: 1 }] },
        { opType: 'Relu', name: '/relu/Relu', inputs: ['/fc1/Gemm_output_0'], outputs: ['/relu/Relu_output_0'] },
        { opType: 'Gemm', name: '/fc2/Gemm', inputs: ['/relu/Relu_output_0', 'fc2.weight', 'fc2.bias'], outputs: ['logits'], attributes: [{ name: 'alpha', f: 1 }, { name: 'beta', f: 1 }, { name: 'transB', i: 1 }] },
      ],
      initializers: [
        { name: 'fc1.weight', dims: [4, 3], values: transpose(W1).flat(), raw: true },
        { name: 'fc1.bias', dims: [4], values: B1, raw: true },
        { name: 'fc2.weight', dims: [options.columns, 4], values: fc2.flat(), raw: true },
        { name: 'fc2.bias', dims: [options.columns], values: fc2Bias, raw: true },
      ],
      inputs: [{ name: 'input', type: { tensor: ELEM.FLOAT, shape: [batch, 3] } }],
      outputs: [{ name: 'logits', type: { tensor: ELEM.FLOAT, shape: [batch, options.columns] } }],
    },
  });
  // Two logits ±z/2 give softmax column 1 = sigmoid(z): the same model either way.
  return {
    bytes, width: 3,
    expected: (row) => sigmoid(dot(W2, hidden(row), B2)),
    input: { name: 'input', batch: 'fixed' },
    output: { name: 'logits', kind: 'logit', column: options.columns - 1 },
  };
}

/** A model package for `fixture` in a fresh temp folder: model.onnx and manifest.json. */
export function writePackage(fixture: Fixture, edit: (manifest: Record<string, unknown>) => void = () => undefined, bytes = fixture.bytes): string {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-model-'));
  writeFileSync(join(dir, 'model.onnx'), bytes);
  const manifest: Record<string, unknown> = {
    id: 'fixture',
    version: '1.0.0',
    sha256: createHash('sha256').update(bytes).digest('hex'),
    input: fixture.input,
    features: Array.from({ length: fixture.width }, (_, i) => ({ name: `feature${i}`, type: 'number', default: 0 })),
    output: fixture.output,
  };
  edit(manifest);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

/** Rows that cross every split of the trees and both signs of every hidden unit. */
export const PROBE_ROWS: readonly (readonly number[])[] = [
  [0, 0, 0],
  [1, -1, 2],
  [0.75, 0.5, 1],
  [-2, 3, -1.5],
  [0.2, -0.3, 2.5],
];

import { ProtoWriter } from './protobuf.js';

// Writes an ONNX ModelProto for a logistic regression: features [N,F] → MatMul →
// Add → Sigmoid → probability [N,1], the shape Keras/tf2onnx sigmoid heads have.
// Field numbers are those of onnx/onnx.proto (ModelProto graph=7, opset_import=8, …);
// ONNX Runtime loading the result is the test that they are right.

const FLOAT = 1; // TensorProto.DataType.FLOAT
const IR_VERSION = 8;
const OPSET = 13;

export interface LogisticModel {
  readonly weights: readonly number[];
  readonly bias: number;
  readonly inputName: string;
  readonly outputName: string;
  readonly docString: string;
  readonly metadata: Readonly<Record<string, string>>;
}

function tensorType(w: ProtoWriter, dims: readonly (number | string)[]): void {
  w.message(1, (tensor) => {
    tensor.varint(1, FLOAT);
    tensor.message(2, (shape) => {
      for (const dim of dims) shape.message(1, (d) => (typeof dim === 'number' ? d.varint(1, dim) : d.string(2, dim)));
    });
  });
}

function valueInfo(w: ProtoWriter, field: number, name: string, dims: readonly (number | string)[]): void {
  w.message(field, (v) => {
    v.string(1, name);
    v.message(2, (t) => tensorType(t, dims));
  });
}

function initializer(w: ProtoWriter, name: string, dims: readonly number[], values: readonly number[]): void {
  w.message(5, (t) => {
    for (const d of dims) t.varint(1, d);
    t.varint(2, FLOAT);
    t.packedFloats(4, values);
    t.string(8, name);
  });
}

function node(w: ProtoWriter, opType: string, inputs: readonly string[], output: string): void {
  w.message(1, (n) => {
    for (const input of inputs) n.string(1, input);
    n.string(2, output);
    n.string(3, `${opType.toLowerCase()}_0`);
    n.string(4, opType);
  });
}

export function writeLogisticOnnx(model: LogisticModel): Uint8Array {
  const width = model.weights.length;
  const w = new ProtoWriter();
  w.varint(1, IR_VERSION);
  w.string(2, 'vitrin-train');
  w.string(3, '1');
  w.varint(5, 1);
  w.string(6, model.docString);
  w.message(7, (g) => {
    node(g, 'MatMul', [model.inputName, 'W'], 'logit_raw');
    node(g, 'Add', ['logit_raw', 'B'], 'logit');
    node(g, 'Sigmoid', ['logit'], model.outputName);
    g.string(2, 'propensity');
    initializer(g, 'W', [width, 1], model.weights);
    initializer(g, 'B', [1], [model.bias]);
    valueInfo(g, 11, model.inputName, ['batch', width]);
    valueInfo(g, 12, model.outputName, ['batch', 1]);
  });
  w.message(8, (o) => {
    o.string(1, '');
    o.varint(2, OPSET);
  });
  for (const [key, value] of Object.entries(model.metadata)) {
    w.message(14, (m) => {
      m.string(1, key);
      m.string(2, value);
    });
  }
  return w.finish();
}

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

// Any small graph, written the way protobuf serialisers write ONNX (fields in number
// order, proto2 `repeated` scalars unpacked): the test fixtures that stand for what
// skl2onnx, onnxmltools, CatBoost, tf2onnx and PyTorch export are built with it.

/** TensorProto.DataType values the fixtures use. */
export const ELEM = { FLOAT: 1, INT32: 6, INT64: 7, STRING: 8, DOUBLE: 11 } as const;

/** A tensor type (a `null` dim has neither value nor name, as for Python's None), a sequence or a map. */
export type TypeSpec =
  | { readonly tensor: number; readonly shape?: readonly (number | string | null)[] }
  | { readonly sequence: TypeSpec }
  | { readonly map: { readonly key: number; readonly value: TypeSpec } };

export interface ValueSpec {
  readonly name: string;
  readonly type: TypeSpec;
}

export type AttributeSpec = { readonly name: string } & (
  | { readonly i: number }
  | { readonly f: number }
  | { readonly s: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly strings: readonly string[] }
);

export interface NodeSpec {
  readonly opType: string;
  readonly domain?: string;
  readonly name?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: readonly AttributeSpec[];
}

export interface InitializerSpec {
  readonly name: string;
  readonly dims: readonly number[];
  readonly values: readonly number[];
  /** `raw_data` little-endian bytes (PyTorch, tf2onnx) instead of `float_data`. */
  readonly raw?: boolean;
}

export interface ModelSpec {
  readonly irVersion: number;
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly domain?: string;
  readonly modelVersion?: number;
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly graph: {
    readonly name: string;
    readonly nodes: readonly NodeSpec[];
    readonly initializers?: readonly InitializerSpec[];
    readonly inputs: readonly ValueSpec[];
    readonly outputs: readonly ValueSpec[];
    readonly valueInfo?: readonly ValueSpec[];
  };
  readonly metadata?: Readonly<Record<string, string>>;
}

const ATTRIBUTE_TYPE = { f: 1, i: 2, s: 3, floats: 6, ints: 7, strings: 8 } as const;

function typeProto(w: ProtoWriter, type: TypeSpec): void {
  if ('tensor' in type) {
    w.message(1, (t) => {
      t.varint(1, type.tensor);
      const shape = type.shape;
      if (shape !== undefined) {
        t.message(2, (s) => {
          for (const dim of shape) {
            s.message(1, (d) => {
              if (typeof dim === 'number') d.varint(1, dim);
              else if (typeof dim === 'string') d.string(2, dim);
            });
          }
        });
      }
    });
  } else if ('sequence' in type) {
    w.message(4, (s) => s.message(1, (e) => typeProto(e, type.sequence)));
  } else {
    w.message(5, (m) => {
      m.varint(1, type.map.key);
      m.message(2, (v) => typeProto(v, type.map.value));
    });
  }
}

function valueSpec(w: ProtoWriter, field: number, value: ValueSpec): void {
  w.message(field, (v) => {
    v.string(1, value.name);
    v.message(2, (t) => typeProto(t, value.type));
  });
}

function attribute(w: ProtoWriter, attr: AttributeSpec): void {
  w.message(5, (a) => {
    a.string(1, attr.name);
    if ('f' in attr) a.float(2, attr.f).varint(20, ATTRIBUTE_TYPE.f);
    else if ('i' in attr) a.varint(3, attr.i).varint(20, ATTRIBUTE_TYPE.i);
    else if ('s' in attr) a.string(4, attr.s).varint(20, ATTRIBUTE_TYPE.s);
    else if ('floats' in attr) {
      for (const v of attr.floats) a.float(7, v);
      a.varint(20, ATTRIBUTE_TYPE.floats);
    } else if ('ints' in attr) {
      for (const v of attr.ints) a.varint(8, v);
      a.varint(20, ATTRIBUTE_TYPE.ints);
    } else {
      for (const v of attr.strings) a.string(9, v);
      a.varint(20, ATTRIBUTE_TYPE.strings);
    }
  });
}

function tensorProto(w: ProtoWriter, init: InitializerSpec): void {
  w.message(5, (t) => {
    for (const d of init.dims) t.varint(1, d);
    t.varint(2, ELEM.FLOAT);
    if (init.raw !== true) t.packedFloats(4, init.values);
    t.string(8, init.name);
    if (init.raw === true) {
      const buf = new Uint8Array(init.values.length * 4);
      init.values.forEach((v, i) => new DataView(buf.buffer).setFloat32(i * 4, v, true));
      t.bytes(9, buf);
    }
  });
}

export function writeOnnxModel(model: ModelSpec): Uint8Array {
  const w = new ProtoWriter();
  w.varint(1, model.irVersion);
  if (model.producerName !== undefined) w.string(2, model.producerName);
  if (model.producerVersion !== undefined) w.string(3, model.producerVersion);
  if (model.domain !== undefined) w.string(4, model.domain);
  if (model.modelVersion !== undefined) w.varint(5, model.modelVersion);
  const { graph } = model;
  w.message(7, (g) => {
    for (const n of graph.nodes) {
      g.message(1, (node) => {
        for (const input of n.inputs) node.string(1, input);
        for (const output of n.outputs) node.string(2, output);
        if (n.name !== undefined) node.string(3, n.name);
        node.string(4, n.opType);
        for (const attr of n.attributes ?? []) attribute(node, attr);
        if (n.domain !== undefined) node.string(7, n.domain);
      });
    }
    g.string(2, graph.name);
    for (const init of graph.initializers ?? []) tensorProto(g, init);
    for (const input of graph.inputs) valueSpec(g, 11, input);
    for (const output of graph.outputs) valueSpec(g, 12, output);
    for (const info of graph.valueInfo ?? []) valueSpec(g, 13, info);
  });
  for (const opset of model.opsets) {
    w.message(8, (o) => {
      o.string(1, opset.domain);
      o.varint(2, opset.version);
    });
  }
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    w.message(14, (m) => {
      m.string(1, key);
      m.string(2, value);
    });
  }
  return w.finish();
}

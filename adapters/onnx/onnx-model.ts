import { VitrinError } from '../../gateway/errors.js';
import { ProtoError, readFields, type WireField, type WireType } from './proto-reader.js';

// The parts of an ONNX ModelProto that decide whether and how Vitrin can score with
// it: opsets, the top-level graph's nodes, inputs and outputs. Field numbers are
// those of onnx/onnx.proto. Subgraphs and tensor contents are not decoded.

export const ELEM_NAMES: Readonly<Record<number, string>> = {
  1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
};
export const FLOAT = 1;
export const INT64 = 7;
export const STRING = 8;

/** A dimension: its size, its symbolic name, or null when it has neither. */
export type Dim = number | string | null;

export type OnnxType =
  | { readonly kind: 'tensor'; readonly elemType: number; readonly shape: readonly Dim[] | undefined }
  | { readonly kind: 'sequence'; readonly elem: OnnxType }
  | { readonly kind: 'map'; readonly keyType: number; readonly value: OnnxType }
  | { readonly kind: 'other' };

export interface OnnxValueInfo {
  readonly name: string;
  readonly type: OnnxType;
}

export interface OnnxAttribute {
  readonly i?: bigint;
  readonly f?: number;
  readonly s?: string;
  readonly ints: readonly bigint[];
  readonly floats: readonly number[];
  readonly strings: readonly string[];
}

export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, OnnxAttribute>;
}

export interface OnnxGraph {
  readonly nodes: readonly OnnxNode[];
  /** Inputs fed at run time (initializers listed as inputs, as before IR 4, are left out). */
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly valueInfo: readonly OnnxValueInfo[];
  /** Every field of the GraphProto in file order, for rewriting; nodes[i] is the i-th field 1. */
  readonly fields: readonly WireField[];
}

export interface OnnxModel {
  readonly irVersion: number;
  readonly producer: string;
  readonly opsets: ReadonlyMap<string, number>;
  readonly graph: OnnxGraph;
  /** Every field of the ModelProto in file order, for rewriting. */
  readonly fields: readonly WireField[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

class Reader {
  constructor(private readonly file: Uint8Array) {}

  fields(payload: Uint8Array): WireField[] {
    return readFields(payload, payload.byteOffset - this.file.byteOffset);
  }

  /** Fails on a known field carrying the wrong wire type: a file of some other message type. */
  expect(f: WireField, path: string, ...allowed: WireType[]): void {
    if (!allowed.includes(f.wireType)) {
      throw new ProtoError(`${path} has wire type ${f.wireType}, ONNX says ${allowed.join(' or ')}`, f.raw.byteOffset - this.file.byteOffset);
    }
  }

  string(f: WireField, path: string): string {
    this.expect(f, path, 2);
    try {
      return utf8.decode(f.payload);
    } catch {
      throw new ProtoError(`${path} is not UTF-8 text`, f.raw.byteOffset - this.file.byteOffset);
    }
  }

  int(f: WireField, path: string): bigint {
    this.expect(f, path, 0);
    return BigInt.asIntN(64, f.varint);
  }

  type(payload: Uint8Array, path: string): OnnxType {
    for (const f of this.fields(payload)) {
      if (f.field === 1) {
        this.expect(f, `${path}.tensor_type`, 2);
        let elemType = 0;
        let shape: Dim[] | undefined;
        for (const t of this.fields(f.payload)) {
          if (t.field === 1) elemType = Number(this.int(t, `${path}.tensor_type.elem_type`));
          if (t.field === 2) {
            this.expect(t, `${path}.tensor_type.shape`, 2);
            shape = this.fields(t.payload)
              .filter((d) => d.field === 1)
              .map((d) => this.dim(d, `${path}.tensor_type.shape.dim`));
          }
        }
        return { kind: 'tensor', elemType, shape };
      }
      if (f.field === 4) {
        this.expect(f, `${path}.sequence_type`, 2);
        const elem = this.fields(f.payload).find((e) => e.field === 1);
        return { kind: 'sequence', elem: elem === undefined ? { kind: 'other' } : this.type(elem.payload, `${path}.sequence_type.elem_type`) };
      }
      if (f.field === 5) {
        this.expect(f, `${path}.map_type`, 2);
        let keyType = 0;
        let value: OnnxType = { kind: 'other' };
        for (const m of this.fields(f.payload)) {
          if (m.field === 1) keyType = Number(this.int(m, `${path}.map_type.key_type`));
          if (m.field === 2) value = this.type(m.payload, `${path}.map_type.value_type`);
        }
        return { kind: 'map', keyType, value };
      }
    }
    return { kind: 'other' };
  }

  dim(f: WireField, path: string): Dim {
    this.expect(f, path, 2);
    let dim: Dim = null;
    for (const d of this.fields(f.payload)) {
      if (d.field === 1) dim = Number(this.int(d, `${path}.dim_value`));
      if (d.field === 2) dim = this.string(d, `${path}.dim_param`);
    }
    return dim;
  }

  valueInfo(f: WireField, path: string): OnnxValueInfo {
    this.expect(f, path, 2);
    let name = '';
    let type: OnnxType = { kind: 'other' };
    for (const v of this.fields(f.payload)) {
      if (v.field === 1) name = this.string(v, `${path}.name`);
      if (v.field === 2) {
        this.expect(v, `${path}.type`, 2);
        type = this.type(v.payload, `${path}.type`);
      }
    }
    return { name, type };
  }

  attribute(f: WireField, path: string): [string, OnnxAttribute] {
    this.expect(f, path, 2);
    let name = '';
    const attr: { i?: bigint; f?: number; s?: string; ints: bigint[]; floats: number[]; strings: string[] } = { ints: [], floats: [], strings: [] };
    for (const a of this.fields(f.payload)) {
      if (a.field === 1) name = this.string(a, `${path}.name`);
      else if (a.field === 2) {
        this.expect(a, `${path}.f`, 5);
        attr.f = new DataView(a.payload.buffer, a.payload.byteOffset, 4).getFloat32(0, true);
      } else if (a.field === 3) attr.i = this.int(a, `${path}.i`);
      else if (a.field === 4) attr.s = this.string(a, `${path}.s`);
      else if (a.field === 7) {
        this.expect(a, `${path}.floats`, 5, 2);
        const view = new DataView(a.payload.buffer, a.payload.byteOffset, a.payload.length);
        if (a.payload.length % 4 !== 0) throw new ProtoError(`${path}.floats is not a whole number of floats`, a.raw.byteOffset - this.file.byteOffset);
        for (let at = 0; at < a.payload.length; at += 4) attr.floats.push(view.getFloat32(at, true));
      } else if (a.field === 8) {
        this.expect(a, `${path}.ints`, 0, 2);
        if (a.wireType === 0) attr.ints.push(BigInt.asIntN(64, a.varint));
        else {
          // Packed: the payload is varints back to back; read it as a run of field-1 varints.
          let at = 0;
          while (at < a.payload.length) {
            let value = 0n;
            let shift = 0n;
            for (;;) {
              const byte = a.payload[at++];
              if (byte === undefined) throw new ProtoError(`${path}.ints is truncated`, a.raw.byteOffset - this.file.byteOffset);
              value |= BigInt(byte & 0x7f) << shift;
              shift += 7n;
              if ((byte & 0x80) === 0) break;
            }
            attr.ints.push(BigInt.asIntN(64, value));
          }
        }
      } else if (a.field === 9) attr.strings.push(this.string(a, `${path}.strings`));
    }
    return [name, attr];
  }

  node(f: WireField, path: string): OnnxNode {
    this.expect(f, path, 2);
    const inputs: string[] = [];
    const outputs: string[] = [];
    const attributes = new Map<string, OnnxAttribute>();
    let name = '';
    let opType = '';
    let domain = '';
    for (const n of this.fields(f.payload)) {
      if (n.field === 1) inputs.push(this.string(n, `${path}.input`));
      else if (n.field === 2) outputs.push(this.string(n, `${path}.output`));
      else if (n.field === 3) name = this.string(n, `${path}.name`);
      else if (n.field === 4) opType = this.string(n, `${path}.op_type`);
      else if (n.field === 5) attributes.set(...this.attribute(n, `${path}.attribute[${attributes.size}]`));
      else if (n.field === 7) domain = this.string(n, `${path}.domain`);
    }
    return { name, opType, domain: domain === 'ai.onnx' ? '' : domain, inputs, outputs, attributes };
  }

  initializerName(f: WireField, path: string, sparse: boolean): string {
    this.expect(f, path, 2);
    let fields = this.fields(f.payload);
    if (sparse) {
      const values = fields.find((v) => v.field === 1);
      fields = values === undefined ? [] : this.fields(values.payload);
    }
    const name = fields.find((t) => t.field === 8);
    return name === undefined ? '' : this.string(name, `${path}.name`);
  }

  graph(f: WireField): OnnxGraph {
    this.expect(f, 'graph', 2);
    const fields = this.fields(f.payload);
    const nodes: OnnxNode[] = [];
    const inputs: OnnxValueInfo[] = [];
    const outputs: OnnxValueInfo[] = [];
    const valueInfo: OnnxValueInfo[] = [];
    const initializers = new Set<string>();
    for (const g of fields) {
      if (g.field === 1) nodes.push(this.node(g, `graph.node[${nodes.length}]`));
      else if (g.field === 5 || g.field === 15) initializers.add(this.initializerName(g, 'graph.initializer', g.field === 15));
      else if (g.field === 11) inputs.push(this.valueInfo(g, `graph.input[${inputs.length}]`));
      else if (g.field === 12) outputs.push(this.valueInfo(g, `graph.output[${outputs.length}]`));
      else if (g.field === 13) valueInfo.push(this.valueInfo(g, `graph.value_info[${valueInfo.length}]`));
      else if (g.field === 2 || g.field === 10) this.string(g, g.field === 2 ? 'graph.name' : 'graph.doc_string');
    }
    return { nodes, inputs: inputs.filter((i) => !initializers.has(i.name)), outputs, valueInfo, fields };
  }
}

/** The model, or VITRIN_ERR_MODEL_FORMAT saying where the file stops being an ONNX model. */
export function decodeOnnxModel(bytes: Uint8Array, file: string): OnnxModel {
  const reader = new Reader(bytes);
  try {
    if (bytes.length === 0) throw new ProtoError('the file is empty', 0);
    const fields = reader.fields(bytes);
    let irVersion: number | undefined;
    let producerName = '';
    let producerVersion = '';
    let graph: OnnxGraph | undefined;
    const opsets = new Map<string, number>();
    for (const f of fields) {
      if (f.field === 1) irVersion = Number(reader.int(f, 'ir_version'));
      else if (f.field === 2) producerName = reader.string(f, 'producer_name');
      else if (f.field === 3) producerVersion = reader.string(f, 'producer_version');
      else if (f.field === 7) graph = reader.graph(f);
      else if (f.field === 8) {
        reader.expect(f, 'opset_import', 2);
        let domain = '';
        let version = 0;
        for (const o of reader.fields(f.payload)) {
          if (o.field === 1) domain = reader.string(o, 'opset_import.domain');
          if (o.field === 2) version = Number(reader.int(o, 'opset_import.version'));
        }
        opsets.set(domain === 'ai.onnx' ? '' : domain, version);
      } else if (f.field === 4 || f.field === 6) reader.string(f, f.field === 4 ? 'domain' : 'doc_string');
      else if (f.field === 5) reader.int(f, 'model_version');
      else if (f.field === 14) reader.expect(f, 'metadata_props', 2);
    }
    if (irVersion === undefined) throw new ProtoError('no ir_version (field 1): not an ONNX ModelProto', 0);
    if (graph === undefined) throw new ProtoError('no graph (field 7): not an ONNX ModelProto', 0);
    if (opsets.size === 0) throw new ProtoError('no opset_import (field 8): ONNX Runtime cannot bind its operators', 0);
    return { irVersion, producer: `${producerName} ${producerVersion}`.trim(), opsets, graph, fields };
  } catch (err) {
    if (!(err instanceof ProtoError)) throw err;
    throw new VitrinError('VITRIN_ERR_MODEL_FORMAT', `${file} is not an ONNX model: ${err.message} (byte ${err.at} of ${bytes.length})`, { cause: err });
  }
}

/** `tensor(float)[N,4]`, `seq(map(int64,tensor(float)))`: ONNX's own notation. */
export function describeType(type: OnnxType): string {
  if (type.kind === 'tensor') return `tensor(${ELEM_NAMES[type.elemType] ?? `type ${type.elemType}`})`;
  if (type.kind === 'sequence') return `seq(${describeType(type.elem)})`;
  if (type.kind === 'map') return `map(${ELEM_NAMES[type.keyType] ?? `type ${type.keyType}`},${describeType(type.value)})`;
  return 'unknown';
}

import { FLOAT, type Dim, type OnnxModel } from './onnx-model.js';
import { concat, lengthDelimited, stringField, varintField } from './proto-reader.js';

// skl2onnx, onnxmltools and CatBoost end classifiers with ZipMap (ai.onnx.ml), whose
// output is a seq(map(label, float)) that onnxruntime-node cannot return ("Non tensor
// type is temporarily not supported"). The probabilities are the ZipMap's input, an
// [N, classes] float tensor: the rewrite makes that tensor the graph output in the
// ZipMap output's place and drops the ZipMap node. Every other field keeps its bytes.

export interface RemovedZipMap {
  /** The ZipMap's output, a graph output of type seq(map(...)). */
  readonly mapOutput: string;
  /** Its input, the [N, classes] probabilities, now a graph output in its place. */
  readonly tensor: string;
  /** The map keys in column order (classlabels_int64s or classlabels_strings), as text. */
  readonly classLabels: readonly string[];
}

export interface ZipMapRewrite {
  /** The rewritten model, or undefined when there was no ZipMap to remove. */
  readonly bytes: Uint8Array | undefined;
  readonly removed: readonly RemovedZipMap[];
  /** ZipMaps that cannot be removed, by their output, each with the export option that avoids them. */
  readonly problems: readonly { readonly output: string; readonly problem: string }[];
}

export const NO_ZIPMAP_FIX =
  "re-export without ZipMap: skl2onnx `options={id(model): {'zipmap': False}}`, onnxmltools `zipmap=False`";

function dimBytes(dim: Dim): Uint8Array {
  if (typeof dim === 'number') return lengthDelimited(1, varintField(1, dim));
  if (typeof dim === 'string') return lengthDelimited(1, stringField(2, dim));
  return lengthDelimited(1, new Uint8Array(0));
}

/** ValueInfoProto `name: tensor(float)[batch, classes]`, as graph output (field 12). */
function floatOutput(name: string, dims: readonly Dim[]): Uint8Array {
  const tensorType = concat([varintField(1, FLOAT), lengthDelimited(2, concat(dims.map(dimBytes)))]);
  return lengthDelimited(12, concat([stringField(1, name), lengthDelimited(2, lengthDelimited(1, tensorType))]));
}

export function removeZipMaps(model: OnnxModel): ZipMapRewrite {
  const { graph } = model;
  const outputNames = new Set(graph.outputs.map((o) => o.name));
  const removedNodes = new Set<number>();
  const replacedOutputs = new Map<string, Uint8Array | undefined>();
  const movedValueInfo = new Set<number>();
  const removed: RemovedZipMap[] = [];
  const problems: { output: string; problem: string }[] = [];
  const firstInput = graph.inputs[0]?.type;
  const batchDim: Dim = firstInput?.kind === 'tensor' && firstInput.shape !== undefined ? (firstInput.shape[0] ?? null) : null;

  graph.nodes.forEach((node, index) => {
    if (node.opType !== 'ZipMap' || node.domain !== 'ai.onnx.ml') return;
    const [tensor] = node.inputs;
    const [mapOutput] = node.outputs;
    if (tensor === undefined || mapOutput === undefined || !outputNames.has(mapOutput)) return;
    const consumer = graph.nodes.find((n) => n.inputs.includes(mapOutput));
    if (consumer !== undefined) {
      problems.push({ output: mapOutput, problem: `ZipMap output "${mapOutput}" feeds ${consumer.opType} "${consumer.name}", so it cannot be removed; ${NO_ZIPMAP_FIX}` });
      return;
    }
    const labels = node.attributes.get('classlabels_int64s')?.ints.map(String) ?? [];
    const classLabels = labels.length > 0 ? labels : (node.attributes.get('classlabels_strings')?.strings ?? []);
    removedNodes.add(index);
    removed.push({ mapOutput, tensor, classLabels });
    if (outputNames.has(tensor)) {
      replacedOutputs.set(mapOutput, undefined);
      return;
    }
    // CatBoost declares the tensor's type in value_info: move it to the outputs as it is.
    const infoIndex = graph.valueInfo.findIndex((v) => v.name === tensor && v.type.kind === 'tensor');
    if (infoIndex >= 0) {
      movedValueInfo.add(infoIndex);
      const field = graph.fields.filter((f) => f.field === 13)[infoIndex];
      if (field !== undefined) replacedOutputs.set(mapOutput, lengthDelimited(12, field.payload));
      return;
    }
    replacedOutputs.set(mapOutput, floatOutput(tensor, [batchDim, classLabels.length > 0 ? classLabels.length : null]));
  });

  if (removed.length === 0) return { bytes: undefined, removed, problems };

  const counters = { node: 0, output: 0, info: 0 };
  const graphParts: Uint8Array[] = [];
  for (const field of graph.fields) {
    if (field.field === 1 && removedNodes.has(counters.node++)) continue;
    if (field.field === 13 && movedValueInfo.has(counters.info++)) continue;
    if (field.field === 12) {
      const name = graph.outputs[counters.output++]?.name ?? '';
      if (replacedOutputs.has(name)) {
        const replacement = replacedOutputs.get(name);
        if (replacement !== undefined) graphParts.push(replacement);
        continue;
      }
    }
    graphParts.push(field.raw);
  }
  const graphBytes = concat(graphParts);
  const bytes = concat(model.fields.map((f) => (f.field === 7 ? lengthDelimited(7, graphBytes) : f.raw)));
  return { bytes, removed, problems };
}

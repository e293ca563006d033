import type { ModelManifest, OutputKind } from '../../gateway/scoring/manifest.js';
import { describeType, FLOAT, INT64, STRING, type OnnxGraph, type OnnxModel, type OnnxNode, type OnnxType } from './onnx-model.js';
import { NO_ZIPMAP_FIX, type RemovedZipMap } from './zipmap.js';

// How Vitrin feeds a model and reads one score per row off it, decided from the graph
// (and the manifest, when there is one) before ONNX Runtime sees the model. What the
// graph shows is checked against what the manifest says: a PyTorch logit declared as
// a probability, or a manifest naming a class the model does not have, is refused.

export interface ReadPlan {
  readonly input: string;
  readonly width: number | undefined;
  readonly batch: 'dynamic' | 'fixed';
  /** The output as the model (or the manifest) names it; for a ZipMap, its seq(map) output. */
  readonly output: string;
  /** The tensor fetched from ONNX Runtime: `output`, or the probabilities under a removed ZipMap. */
  readonly fetch: string;
  readonly fetchType: 'float' | 'int64' | 'string';
  readonly kind: OutputKind;
  readonly column: number;
  /** The positive class's label, when the model names its classes or the manifest gives it. */
  readonly positiveClass: string | undefined;
  readonly description: string;
}

export interface PlanResult {
  readonly plan: ReadPlan | undefined;
  readonly batch: 'dynamic' | 'fixed' | undefined;
  /** Problems with the model itself, whatever a manifest says. */
  readonly unsupported: readonly string[];
  /** Places where the model and its manifest disagree. */
  readonly mismatch: readonly string[];
}

interface Origin {
  readonly kind: 'probability' | 'logit' | 'unknown';
  /** The operator that decided it, for messages. */
  readonly op: string;
  readonly labels?: readonly string[];
}

const LINEAR_OPS = new Set(['Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'Conv', 'Einsum']);
const CLASSIFIERS = new Set(['LinearClassifier', 'TreeEnsembleClassifier', 'SVMClassifier']);

function classLabels(node: OnnxNode): string[] | undefined {
  const ints = node.attributes.get('classlabels_ints') ?? node.attributes.get('classlabels_int64s');
  if (ints !== undefined && ints.ints.length > 0) return ints.ints.map(String);
  const strings = node.attributes.get('classlabels_strings');
  return strings !== undefined && strings.strings.length > 0 ? [...strings.strings] : undefined;
}

/** Walks back from a tensor to the operator that says whether it holds probabilities or logits. */
function origin(graph: OnnxGraph, tensor: string): Origin {
  let name = tensor;
  let normalised = false;
  for (let step = 0; step < 64; step++) {
    const node = graph.nodes.find((n) => n.outputs.includes(name));
    if (node === undefined) break;
    const op = node.opType;
    if (op === 'Sigmoid' || op === 'Softmax') return { kind: 'probability', op };
    if (node.domain === 'ai.onnx.ml' && CLASSIFIERS.has(op) && node.outputs.indexOf(name) === 1) {
      const transform = node.attributes.get('post_transform')?.s ?? 'NONE';
      const raw = op === 'LinearClassifier' && transform === 'NONE' && !normalised;
      const labels = classLabels(node);
      return { kind: raw ? 'logit' : 'probability', op: `${op} ${raw ? 'scores' : 'probabilities'}`, ...(labels === undefined ? {} : { labels }) };
    }
    if (LINEAR_OPS.has(op)) return { kind: 'logit', op };
    if (op !== 'Identity' && op !== 'Cast' && op !== 'Normalizer') return { kind: 'unknown', op };
    normalised ||= op === 'Normalizer';
    const next = node.inputs[0];
    if (next === undefined) break;
    name = next;
  }
  return normalised ? { kind: 'probability', op: 'Normalizer' } : { kind: 'unknown', op: 'the graph input' };
}

interface Candidate {
  readonly output: string;
  readonly fetch: string;
  readonly type: OnnxType;
  readonly zipmap?: RemovedZipMap;
}

function candidates(model: OnnxModel, removed: readonly RemovedZipMap[]): Candidate[] {
  const { graph } = model;
  const input = graph.inputs[0]?.type;
  const batch = input?.kind === 'tensor' ? (input.shape?.[0] ?? null) : null;
  return graph.outputs.map((o) => {
    const zipmap = removed.find((z) => z.mapOutput === o.name);
    if (zipmap === undefined) return { output: o.name, fetch: o.name, type: o.type };
    const declared = [...graph.valueInfo, ...graph.outputs].find((v) => v.name === zipmap.tensor)?.type;
    const type: OnnxType = declared ?? { kind: 'tensor', elemType: FLOAT, shape: [batch, zipmap.classLabels.length] };
    return { output: o.name, fetch: zipmap.tensor, type, zipmap };
  });
}

function elemKind(type: OnnxType): ReadPlan['fetchType'] | undefined {
  if (type.kind !== 'tensor') return undefined;
  return type.elemType === FLOAT ? 'float' : type.elemType === INT64 ? 'int64' : type.elemType === STRING ? 'string' : undefined;
}

const RANK: Record<Origin['kind'], number> = { probability: 1, logit: 2, unknown: 3 };

interface Problems {
  readonly unsupported: string[];
  readonly mismatch: string[];
}

/** The input: one float32 tensor [batch, features], its width and batch kind. */
function readInput(graph: OnnxGraph, manifest: ModelManifest | undefined, problems: Problems) {
  const { unsupported, mismatch } = problems;
  const [input] = graph.inputs;
  const names = graph.inputs.map((i) => i.name).join(', ');
  if (input === undefined) unsupported.push('the model has no input');
  if (graph.inputs.length > 1) unsupported.push(`the model has ${graph.inputs.length} inputs (${names}); Vitrin feeds exactly one float tensor [batch, features]`);
  if (input !== undefined && manifest !== undefined && graph.inputs.every((i) => i.name !== manifest.input.name)) {
    mismatch.push(`input "${manifest.input.name}" not in the model (it has: ${names})`);
  }
  if (input === undefined) return { input, batch: undefined, width: undefined };
  const { type } = input;
  if (type.kind !== 'tensor' || type.elemType !== FLOAT) {
    unsupported.push(`input "${input.name}" is ${describeType(type)}; Vitrin feeds float32: export it as a float tensor (skl2onnx FloatTensorType, torch .float(), tf.float32)`);
    return { input, batch: undefined, width: undefined };
  }
  if (type.shape !== undefined && type.shape.length !== 2) {
    unsupported.push(`input "${input.name}" must have rank 2 [batch, features], has [${type.shape.map(String).join(', ')}]`);
    return { input, batch: undefined, width: undefined };
  }
  const [first, second] = type.shape ?? [null, null];
  const width = typeof second === 'number' ? second : undefined;
  const batch: 'dynamic' | 'fixed' = first === 1 ? 'fixed' : 'dynamic';
  if (typeof first === 'number' && first !== 1) unsupported.push(`input "${input.name}" has a fixed batch of ${first}; only a dynamic batch or a batch of 1 can be fed`);
  if (manifest?.input.batch === 'dynamic' && batch === 'fixed') mismatch.push(`input "${input.name}" has a fixed batch of 1; set input.batch to "fixed"`);
  if (manifest !== undefined && width !== undefined && width !== manifest.features.length) {
    mismatch.push(`input "${input.name}" takes ${width} features, the manifest lists ${manifest.features.length}`);
  }
  return { input, batch, width };
}

/** The output the manifest names or, without one, the likeliest probability. */
function chooseOutput(model: OnnxModel, removed: readonly RemovedZipMap[], manifest: ModelManifest | undefined, problems: Problems): Candidate | undefined {
  const { graph } = model;
  const all = candidates(model, removed);
  if (manifest !== undefined) {
    const named = all.find((c) => c.output === manifest.output.name || c.fetch === manifest.output.name);
    if (named === undefined) problems.mismatch.push(`output "${manifest.output.name}" not in the model (it has: ${graph.outputs.map((o) => o.name).join(', ')})`);
    return named;
  }
  const [best] = all
    .filter((c) => elemKind(c.type) === 'float')
    .map((c) => ({ c, rank: c.zipmap === undefined ? RANK[origin(graph, c.fetch).kind] : 0 }))
    .sort((a, b) => a.rank - b.rank || Number(/prob/i.test(b.c.output)) - Number(/prob/i.test(a.c.output)));
  if (best !== undefined) return best.c;
  const labels = all.filter((c) => elemKind(c.type) === 'int64' || elemKind(c.type) === 'string').map((c) => `"${c.output}"`);
  if (labels.length > 0) {
    problems.unsupported.push(
      `the model outputs only a class label (${labels.join(', ')}), no probabilities: scores would be 0 or 1; export the probabilities, or say output.kind "label" in a manifest`,
    );
  } else if (removed.length === 0) {
    problems.unsupported.push(`no output is a float tensor (${graph.outputs.map((o) => `"${o.name}" ${describeType(o.type)}`).join(', ')})`);
  }
  return undefined;
}

/** The positive class's column: the manifest's column or class label, else the last of two. */
function positiveColumn(chosen: Candidate, labels: readonly string[] | undefined, wanted: ModelManifest['output'] | undefined, problems: Problems) {
  const shape = chosen.type.kind === 'tensor' ? chosen.type.shape : undefined;
  const columns = labels?.length ?? (shape === undefined ? undefined : shape.length <= 1 ? 1 : typeof shape[1] === 'number' ? shape[1] : undefined);
  const name = chosen.output;
  if (wanted?.kind === 'label') return { column: 0, columns, positiveClass: String(wanted.positiveClass ?? '') };
  if (wanted?.column !== undefined || wanted?.positiveClass !== undefined) {
    let column = wanted.column ?? 0;
    if (wanted.positiveClass !== undefined) {
      const label = String(wanted.positiveClass);
      const index = labels?.indexOf(label) ?? -1;
      if (labels === undefined) problems.mismatch.push(`output "${name}" does not name its classes; give output.column instead of output.positiveClass`);
      else if (index < 0) problems.mismatch.push(`positive class "${label}" is not a class of "${name}" (classes: ${labels.join(', ')})`);
      else if (wanted.column !== undefined && wanted.column !== index) problems.mismatch.push(`output.column ${wanted.column} is not the column of class "${label}" (${index})`);
      column = Math.max(index, 0);
    }
    if (columns !== undefined && column >= columns) problems.mismatch.push(`output column ${column} does not exist; "${name}" has ${columns}`);
    return { column, columns, positiveClass: labels?.[column] };
  }
  if (columns === undefined) problems.unsupported.push(`cannot tell how many columns "${name}" has: give output.column in a manifest`);
  else if (columns > 2) {
    const classes = labels === undefined ? '' : ` (${labels.join(', ')})`;
    problems.unsupported.push(`"${name}" has ${columns} classes${classes}: name the positive one in a manifest (output.positiveClass or output.column)`);
  } else {
    // Binary classifiers list the negative class first (scikit-learn's classes_[1] is the positive one).
    return { column: columns - 1, columns, positiveClass: labels?.[columns - 1] };
  }
  return { column: 0, columns, positiveClass: undefined };
}

function describePlan(chosen: Candidate, from: Origin, kind: OutputKind, where: { column: number; columns: number | undefined; positiveClass: string | undefined }): string {
  const { column, columns, positiveClass } = where;
  const cls = positiveClass === undefined ? '' : ` (class ${positiveClass})`;
  if (kind === 'label') return `1 when label output "${chosen.fetch}" is ${positiveClass ?? '?'}, else 0: a label, not a probability`;
  if (kind === 'logit') {
    return columns !== undefined && columns > 1
      ? `softmax over the ${columns} logits of "${chosen.fetch}" (${from.op}), column ${column}${cls}`
      : `sigmoid of the logit in column ${column} of "${chosen.fetch}" (${from.op})`;
  }
  return chosen.zipmap === undefined
    ? `column ${column}${cls} of "${chosen.fetch}" (${from.op}), as is`
    : `ZipMap removed: column ${column}${cls} of "${chosen.fetch}", the probabilities under ZipMap output "${chosen.output}", as is`;
}

export function planReading(model: OnnxModel, removed: readonly RemovedZipMap[], manifest: ModelManifest | undefined): PlanResult {
  const problems: Problems = { unsupported: [], mismatch: [] };
  const { unsupported, mismatch } = problems;
  const { input, batch, width } = readInput(model.graph, manifest, problems);
  const chosen = chooseOutput(model, removed, manifest, problems);
  if (chosen === undefined) return { plan: undefined, batch, unsupported, mismatch };

  const from = origin(model.graph, chosen.fetch);
  const fetchType = elemKind(chosen.type);
  const kind: OutputKind = manifest?.output.kind ?? (from.kind === 'logit' ? 'logit' : 'probability');
  if (chosen.type.kind !== 'tensor') {
    const fix = chosen.type.kind === 'sequence' ? `: ${NO_ZIPMAP_FIX}` : '';
    unsupported.push(`output "${chosen.output}" is ${describeType(chosen.type)}, not a tensor; ONNX Runtime for Node cannot return it${fix}`);
  } else if (kind === 'label' ? fetchType !== 'int64' && fetchType !== 'string' : fetchType !== 'float') {
    mismatch.push(`output "${chosen.output}" is ${describeType(chosen.type)}; a "${kind}" output must be ${kind === 'label' ? 'int64 or string' : 'float'}`);
  }
  if (manifest === undefined && from.kind === 'unknown' && chosen.zipmap === undefined) {
    unsupported.push(`cannot tell whether "${chosen.output}" (from ${from.op}) holds probabilities or logits: say which in a manifest (output.kind)`);
  }
  if (kind === 'probability' && from.kind === 'logit') mismatch.push(`output "${chosen.output}" comes from ${from.op}: logits, not probabilities; set output.kind to "logit"`);
  if (kind === 'logit' && from.kind === 'probability') mismatch.push(`output "${chosen.output}" comes from ${from.op}: probabilities already; set output.kind to "probability"`);

  const where = positiveColumn(chosen, chosen.zipmap?.classLabels ?? from.labels, manifest?.output, problems);
  const plan: ReadPlan = {
    input: input?.name ?? '',
    width,
    batch: manifest?.input.batch === 'fixed' ? 'fixed' : (batch ?? 'dynamic'),
    output: chosen.output,
    fetch: chosen.fetch,
    fetchType: fetchType ?? 'float',
    kind,
    column: where.column,
    positiveClass: where.positiveClass,
    description: describePlan(chosen, from, kind, where),
  };
  return { plan, batch, unsupported, mismatch };
}

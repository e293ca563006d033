// A model package is model.onnx plus manifest.json. The manifest says how to feed
// the model and how to read its output; the loader checks the model against it.

import type { ErrorCode } from '../errors.js';

export interface ManifestFeature {
  readonly name: string;
  readonly type: 'number' | 'boolean';
  readonly default: number;
  readonly description?: string;
}

/**
 * How to read a score off the output: `probability` as is, `logit` through a sigmoid
 * (one column) or a softmax (several), `label` as 1 for the positive class, else 0.
 */
export type OutputKind = 'probability' | 'logit' | 'label';

export interface ModelManifest {
  readonly id: string;
  readonly version: string;
  readonly sha256: string;
  /** The model's one input, a float32 tensor [batch, features]; `fixed` means a batch of 1, run row by row. */
  readonly input: { readonly name: string; readonly batch: 'dynamic' | 'fixed' };
  readonly features: readonly ManifestFeature[];
  /**
   * The output to read. The positive class is `column` (its column) or `positiveClass`
   * (its label: for ZipMap and classifier outputs, whose labels the model names, and
   * for `label` outputs). A ZipMap output is read through the tensor under it.
   */
  readonly output: {
    readonly name: string;
    readonly kind: OutputKind;
    readonly column?: number;
    readonly positiveClass?: number | string;
  };
  readonly trainedOn?: string;
  readonly metrics?: Readonly<Record<string, number>>;
}

/** What `vitrin model check` prints: how the gateway would read a model, and why it cannot. */
export interface ModelCheckReport {
  /** True only when the gateway can load the model (against the manifest, when one is given) and score with it. */
  readonly ok: boolean;
  /** The error code loading would fail with. */
  readonly code?: ErrorCode;
  readonly file: string;
  readonly producer?: string;
  readonly opsets?: Readonly<Record<string, number>>;
  readonly inputs: readonly ModelValueReport[];
  readonly outputs: readonly ModelValueReport[];
  readonly batch: 'dynamic' | 'fixed' | null;
  /** How a score is read, in words, e.g. `ZipMap removed: column 1 (class 1) of "probabilities" …`. */
  readonly probability: string | null;
  /** The same, as a manifest `output` would say it. */
  readonly read?: { readonly output: string; readonly kind: OutputKind; readonly column?: number; readonly positiveClass?: string };
  /** Scores of rows of defaults (the manifest's, or zeros), from ONNX Runtime itself. */
  readonly sample?: readonly number[];
  readonly manifest?: { readonly id: string; readonly version: string; readonly sha256: 'match' | 'differs' };
  readonly problems: readonly string[];
}

export interface ModelValueReport {
  readonly name: string;
  /** ONNX notation: `tensor(float)`, `seq(map(int64,tensor(float)))`. */
  readonly type: string;
  /** Sizes, symbolic names, or null for a dimension with neither; absent when the model gives no shape. */
  readonly shape?: readonly (number | string | null)[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkOutput(output: unknown, need: (ok: boolean, problem: string) => void): void {
  const o = isRecord(output) ? output : {};
  need(typeof o.name === 'string', '/output/name: must be a string');
  need(o.kind === 'probability' || o.kind === 'logit' || o.kind === 'label', '/output/kind: must be "probability", "logit" or "label"');
  const hasColumn = o.column !== undefined;
  const hasClass = o.positiveClass !== undefined;
  if (hasColumn || !hasClass) need(Number.isInteger(o.column) && (o.column as number) >= 0, '/output/column: must be an integer >= 0');
  if (hasClass) {
    need(
      (Number.isInteger(o.positiveClass) || (typeof o.positiveClass === 'string' && o.positiveClass !== '')),
      '/output/positiveClass: must be an integer or a non-empty string (the class label)',
    );
  }
  need(o.kind !== 'label' || hasClass, '/output/positiveClass: a "label" output needs the label of the positive class');
}

/** The manifest, or every problem with its path. */
export function parseManifest(json: unknown): { manifest: ModelManifest; problems: [] } | { manifest: undefined; problems: string[] } {
  const problems: string[] = [];
  const need = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  if (!isRecord(json)) return { manifest: undefined, problems: ['/: must be an object'] };
  need(typeof json.id === 'string' && json.id !== '', '/id: must be a non-empty string');
  need(typeof json.version === 'string' && json.version !== '', '/version: must be a non-empty string');
  need(typeof json.sha256 === 'string' && /^[0-9a-f]{64}$/.test(json.sha256), '/sha256: must be 64 lower-case hex digits');
  const input = json.input;
  need(isRecord(input) && typeof input.name === 'string', '/input/name: must be a string');
  need(isRecord(input) && (input.batch === 'dynamic' || input.batch === 'fixed'), '/input/batch: must be "dynamic" or "fixed"');
  checkOutput(json.output, need);
  if (!Array.isArray(json.features) || json.features.length === 0) problems.push('/features: must be a non-empty list');
  else {
    json.features.forEach((f: unknown, i) => {
      need(isRecord(f) && typeof f.name === 'string' && f.name !== '', `/features/${i}/name: must be a non-empty string`);
      const first = (json.features as unknown[]).findIndex((g) => isRecord(g) && isRecord(f) && g.name === f.name);
      need(first === i || !isRecord(f) || typeof f.name !== 'string', `/features/${i}/name: "${String(isRecord(f) ? f.name : '')}" is already /features/${first}`);
      need(isRecord(f) && (f.type === 'number' || f.type === 'boolean'), `/features/${i}/type: must be "number" or "boolean"`);
      need(isRecord(f) && typeof f.default === 'number' && Number.isFinite(f.default), `/features/${i}/default: must be a finite number`);
    });
  }
  return problems.length > 0 ? { manifest: undefined, problems } : { manifest: json as unknown as ModelManifest, problems: [] };
}

// A model package is model.onnx plus manifest.json. The manifest says how to feed
// the model and how to read its output; the loader checks the model against it.

export interface ManifestFeature {
  readonly name: string;
  readonly type: 'number' | 'boolean';
  readonly default: number;
  readonly description?: string;
}

export interface ModelManifest {
  readonly id: string;
  readonly version: string;
  readonly sha256: string;
  readonly input: { readonly name: string; readonly batch: 'dynamic' | 'fixed' };
  readonly features: readonly ManifestFeature[];
  readonly output: { readonly name: string; readonly kind: 'probability' | 'logit'; readonly column: number };
  readonly trainedOn?: string;
  readonly metrics?: Readonly<Record<string, number>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
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
  const output = json.output;
  need(isRecord(output) && typeof output.name === 'string', '/output/name: must be a string');
  need(isRecord(output) && (output.kind === 'probability' || output.kind === 'logit'), '/output/kind: must be "probability" or "logit"');
  need(isRecord(output) && Number.isInteger(output.column) && (output.column as number) >= 0, '/output/column: must be an integer >= 0');
  if (!Array.isArray(json.features) || json.features.length === 0) problems.push('/features: must be a non-empty list');
  else {
    json.features.forEach((f: unknown, i) => {
      need(isRecord(f) && typeof f.name === 'string' && f.name !== '', `/features/${i}/name: must be a non-empty string`);
      need(isRecord(f) && (f.type === 'number' || f.type === 'boolean'), `/features/${i}/type: must be "number" or "boolean"`);
      need(isRecord(f) && typeof f.default === 'number' && Number.isFinite(f.default), `/features/${i}/default: must be a finite number`);
    });
  }
  return problems.length > 0 ? { manifest: undefined, problems } : { manifest: json as unknown as ModelManifest, problems: [] };
}

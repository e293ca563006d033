import type ort from 'onnxruntime-node';
import type { ModelManifest } from '../../gateway/scoring/manifest.js';

type Metadata = readonly ort.InferenceSession.ValueMetadata[];

/** Every way the session's inputs and outputs differ from what the manifest promises. */
export function modelProblems(inputs: Metadata, outputs: Metadata, manifest: ModelManifest): string[] {
  const problems: string[] = [];
  const input = inputs.find((m) => m.name === manifest.input.name);
  if (input === undefined) {
    problems.push(`input "${manifest.input.name}" not in the model (it has: ${inputs.map((m) => m.name).join(', ')})`);
  } else if (!input.isTensor || input.type !== 'float32') {
    problems.push(`input "${input.name}" must be a float32 tensor`);
  } else {
    const [batch, width] = input.shape;
    if (input.shape.length !== 2) problems.push(`input "${input.name}" must have rank 2 [batch, features], has [${input.shape.join(', ')}]`);
    if (typeof width === 'number' && width !== manifest.features.length) {
      problems.push(`input "${input.name}" takes ${width} features, the manifest lists ${manifest.features.length}`);
    }
    const dynamic = typeof batch === 'string' || batch === -1;
    if (manifest.input.batch === 'dynamic' && !dynamic) problems.push(`input "${input.name}" has a fixed batch of ${String(batch)}; set input.batch to "fixed"`);
    if (manifest.input.batch === 'fixed' && batch !== 1 && !dynamic) problems.push(`input "${input.name}" has a fixed batch of ${String(batch)}; only 1 is supported`);
  }
  if (inputs.length > 1) problems.push(`the model has ${inputs.length} inputs; Vitrin feeds exactly one`);
  const output = outputs.find((m) => m.name === manifest.output.name);
  if (output === undefined) {
    problems.push(`output "${manifest.output.name}" not in the model (it has: ${outputs.map((m) => m.name).join(', ')})`);
  } else if (!output.isTensor) {
    problems.push(`output "${output.name}" is not a tensor (a ZipMap sequence of maps?); export the probability tensor instead`);
  } else {
    if (output.type !== 'float32') problems.push(`output "${output.name}" must be float32, is ${output.type}`);
    const columns = output.shape[1];
    if (typeof columns === 'number' && manifest.output.column >= columns) {
      problems.push(`output column ${manifest.output.column} does not exist; "${output.name}" has ${columns}`);
    }
  }
  return problems;
}

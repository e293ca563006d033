import type ort from 'onnxruntime-node';
import type { ReadPlan } from './read-plan.js';

type Metadata = readonly ort.InferenceSession.ValueMetadata[];

const TENSOR_TYPES: Record<ReadPlan['fetchType'], string> = { float: 'float32', int64: 'int64', string: 'string' };

/**
 * Where ONNX Runtime's view of the loaded model differs from the plan read off the
 * file: a second opinion on our own decoding and on the ZipMap rewrite.
 */
export function sessionProblems(inputs: Metadata, outputs: Metadata, plan: ReadPlan): string[] {
  const problems: string[] = [];
  const input = inputs.find((m) => m.name === plan.input);
  if (input === undefined) problems.push(`ONNX Runtime sees no input "${plan.input}" (it has: ${inputs.map((m) => m.name).join(', ')})`);
  else if (!input.isTensor || input.type !== 'float32') problems.push(`ONNX Runtime sees input "${input.name}" as ${input.isTensor ? input.type : 'a non-tensor'}, not float32`);
  const output = outputs.find((m) => m.name === plan.fetch);
  if (output === undefined) problems.push(`ONNX Runtime sees no output "${plan.fetch}" (it has: ${outputs.map((m) => m.name).join(', ')})`);
  else if (!output.isTensor) problems.push(`ONNX Runtime sees output "${output.name}" as a non-tensor (a ZipMap left in place?)`);
  else if (output.type !== TENSOR_TYPES[plan.fetchType]) problems.push(`ONNX Runtime sees output "${output.name}" as ${output.type}, not ${TENSOR_TYPES[plan.fetchType]}`);
  return problems;
}

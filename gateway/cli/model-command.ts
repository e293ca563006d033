import { VitrinError } from '../errors.js';
import type { ModelCheckReport } from '../scoring/manifest.js';
import { parseArgs, stringFlag } from './args.js';
import type { Output } from './config-command.js';

export interface ModelDeps {
  /** The ONNX adapter's check, injected by the composition root. */
  readonly checkModel: ((file: string, manifestFile: string | undefined) => Promise<ModelCheckReport>) | undefined;
  readonly io: Output;
}

/**
 * `vitrin model check <file.onnx> [--manifest m.json]`: prints how the gateway would
 * read the model, as JSON, and exits 0 only when it can load it and score with it.
 */
export async function modelCommand(argv: readonly string[], deps: ModelDeps): Promise<number> {
  const args = parseArgs(argv, ['manifest']);
  const [, sub, file] = args.positional;
  if (sub !== 'check') throw new VitrinError('VITRIN_ERR_CLI_USAGE', `unknown command "${['model', sub].filter(Boolean).join(' ')}"`);
  if (file === undefined) throw new VitrinError('VITRIN_ERR_CLI_USAGE', 'model check needs a model file: vitrin model check <file.onnx> [--manifest m.json]');
  if (deps.checkModel === undefined) throw new VitrinError('VITRIN_ERR_MODEL_LOAD', 'this build has no ONNX Runtime');
  const report = await deps.checkModel(file, stringFlag(args, 'manifest'));
  deps.io.out(JSON.stringify(report, null, 2));
  if (report.ok) return 0;
  deps.io.err(`${report.code ?? 'VITRIN_ERR_MODEL_UNSUPPORTED'}: ${file} cannot be used by the gateway`);
  for (const problem of report.problems) deps.io.err(`  ${problem}`);
  return 1;
}

import { basename } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { configDigest } from '../config/secrets.js';
import { isVitrinError, VitrinError } from '../errors.js';
import { formatReport, runDoctor } from '../doctor/doctor.js';
import type { DoctorCheck, DoctorHost } from '../doctor/host.js';
import type { CheckModel } from '../doctor/system-checks.js';
import { stringFlag, type ParsedArgs } from './args.js';
import type { Output } from './config-command.js';

export interface DoctorDeps {
  /** The machine's answers, from the composition root. */
  readonly host: DoctorHost | undefined;
  readonly checkModel: CheckModel | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly io: Output;
}

function readConfig(file: string | undefined, env: NodeJS.ProcessEnv): { config?: Config; check: DoctorCheck } {
  try {
    const { config, files } = loadConfig({ file, env });
    const mode = config.ble.mode === 'receiver' ? 'receiver box' : `${config.mode} mode`;
    return { config, check: { id: 'config', status: 'ok', detail: `${files.map((f) => basename(f)).join(' + ')}: store ${config.store.id}, ${mode}, digest ${configDigest(config)}` } };
  } catch (err) {
    if (!isVitrinError(err)) throw err;
    const shown = file ?? env.VITRIN_CONFIG;
    const where = shown === undefined || shown === '' ? 'the setting or VITRIN_* variable each problem names' : `${shown} (or a VITRIN_* variable): each problem names its path`;
    return {
      check: {
        id: 'config',
        status: 'fail',
        detail: `${err.code}: ${err.message}${err.details.length === 0 ? '' : `: ${err.details.join('; ')}`} (the checks that need a config are left out)`,
        fix: `fix ${where}; \`vitrin config check${shown === undefined ? '' : ` ${shown}`}\` lists the problems until it says config OK`,
      },
    };
  }
}

/**
 * `vitrin doctor [--config file] [--json]`: what stands between this box and a working
 * gateway, each problem with its fix. Exit 1 when a check failed (operation is
 * blocked), 0 with warnings only.
 */
export async function doctorCommand(args: ParsedArgs, deps: DoctorDeps): Promise<number> {
  if (deps.host === undefined) throw new VitrinError('VITRIN_ERR_CLI_USAGE', 'this build cannot examine the machine: run vitrin doctor from the installed command');
  const file = stringFlag(args, 'config') ?? args.positional[1];
  const { config, check } = readConfig(file, deps.env);
  const report = await runDoctor({ config, configCheck: check, env: deps.env, host: deps.host, checkModel: deps.checkModel });
  if (args.flags.has('json')) deps.io.out(JSON.stringify(report));
  else {
    const source = file ?? deps.env.VITRIN_CONFIG;
    const heading = `vitrin doctor: ${source === undefined || source === '' ? 'the defaults (no --config, no VITRIN_CONFIG)' : source}`;
    for (const line of formatReport(report, heading)) deps.io.out(line);
  }
  return report.ok ? 0 : 1;
}

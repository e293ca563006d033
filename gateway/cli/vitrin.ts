import { loadConfig } from '../config/load.js';
import { isVitrinError, VitrinError } from '../errors.js';
import type { GatewayOptions, RunningGateway } from '../main.js';
import { parseArgs, stringFlag } from './args.js';
import { calibrateCommand } from './calibrate-command.js';
import { configCheck, configSchemaJson, type Output } from './config-command.js';
import { decodeCommand } from './decode-command.js';
import { doctorCommand, type DoctorDeps } from './doctor-command.js';
import { eidCommand } from './eid-command.js';
import { hashPasswordCommand, mosquittoConfigCommand, readFirstLine } from './mosquitto-config-command.js';
import { modelCommand, type ModelDeps } from './model-command.js';
import { recordCommand, type RecordDeps } from './record-command.js';
import { replayCommand } from './replay-command.js';
import { rosterImportCommand, type RosterDeps } from './roster-command.js';

const USAGE = `usage: vitrin <command>
  start [--config file]          run the gateway (default command)
  config check [file]            check a config file; lists every problem
  config schema                  print the config's JSON Schema
  doctor [--config file] [--json]
                                 check this box: adapter, permissions, clock, broker,
                                 cloud, disk, model, config, roster key; each problem
                                 with its fix; exit 1 when something blocks operation
  calibrate --receiver <id> [--replay file] [--seconds N] [--address a]
                                 RSSI of a reference phone at 1 m and the rssiOffset
                                 to configure for that receiver
  roster import <file.json> [--config file]
                                 store members (vitrin.roster/1), encrypted with the
                                 roster key; a running gateway picks them up
  hash-password [--generate] [--iterations N]
                                 the $7$ hash (Mosquitto's format) of the password
                                 on stdin for a passwordHash in config; --generate
                                 makes a random password and prints both as JSON
  mosquitto-config --out <dir> [--config file]
                                 write Mosquitto's password file (<dir>/passwd) and
                                 ACL file (<dir>/acl) for every login in the config,
                                 and the same for its dynamic security plugin
                                 (<dir>/dynamic-security.json, tills, receivers and
                                 the gateway bound to their client ids)
  eid --key <32 hex> --exponent <K> --time <unix seconds>
                                 print the EID a member's app broadcasts
  decode <hex>                   decode advertising data or an HCI LE Advertising
                                 Report event (043e...): one JSON object per report
  replay <file.btsnoop> [--speed N | --max] [--summary] [--receiver id]
                                 feed a capture through the pipeline, sandboxed
                                 (own broker and data, nothing reaches the store)
  record --out <file.btsnoop> [--seconds N] [--scope app|all] [--receiver id]
                                 write what an adapter hears; app: only the app's
                                 frames (default), all: every device
  model check <file.onnx> [--manifest m.json]
                                 how the gateway would read a model (JSON: inputs,
                                 outputs, batch, probability, problems); exit 0 only
                                 if it can load and score with it`;

/** Bad arguments or bad input: exit code 2, as for a usage error. */
const USAGE_ERRORS = new Set(['VITRIN_ERR_CLI_USAGE', 'VITRIN_ERR_DECODE_INPUT', 'VITRIN_ERR_ROSTER_INVALID']);

export interface CliDeps {
  readonly startGateway: (options: GatewayOptions) => Promise<RunningGateway>;
  readonly openRadio?: RecordDeps['openRadio'];
  readonly openRosterStore?: RosterDeps['openRosterStore'];
  readonly checkModel?: ModelDeps['checkModel'];
  /** What `doctor` asks the machine, from the composition root. */
  readonly doctorHost?: () => NonNullable<DoctorDeps['host']>;
  readonly env: NodeJS.ProcessEnv;
  readonly io: Output;
  /** What `hash-password` reads the password from; stdin when absent. */
  readonly readInput?: () => Promise<string>;
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

async function start(configFile: string | undefined, deps: CliDeps): Promise<number> {
  const loaded = loadConfig({ file: configFile, env: deps.env });
  const gateway = await deps.startGateway({ loaded, env: deps.env });
  const signal = await waitForSignal();
  gateway.log.info({ signal }, 'shutting down');
  // A second Ctrl-C while stopping means "now": do not hang on a stuck part.
  process.once('SIGINT', () => process.exit(130));
  await gateway.stop();
  return 0;
}

/** Runs one command and returns the process exit code. */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const { io } = deps;
  try {
    const args = parseArgs(argv, ['config', 'key', 'exponent', 'time', 'speed', 'receiver', 'out', 'seconds', 'scope', 'replay', 'address', 'iterations']);
    const [command = 'start', sub, operand] = args.positional;
    if (command === 'start') return await start(stringFlag(args, 'config') ?? sub, deps);
    if (command === 'config' && sub === 'check') return configCheck(operand ?? stringFlag(args, 'config'), deps.env, io);
    if (command === 'config' && sub === 'schema') {
      io.out(configSchemaJson().trimEnd());
      return 0;
    }
    if (command === 'doctor') return await doctorCommand(args, { host: deps.doctorHost?.(), checkModel: deps.checkModel, env: deps.env, io });
    if (command === 'decode') {
      // Pasted hcidump output comes as separate words: `vitrin decode 04 3E 2A ...`.
      const words = args.positional.slice(1);
      for (const report of decodeCommand(words.length === 0 ? undefined : words.join(''))) io.out(JSON.stringify(report));
      return 0;
    }
    if (command === 'replay') return await replayCommand(sub, args, deps);
    if (command === 'roster' && sub === 'import') {
      if (deps.openRosterStore === undefined) throw new VitrinError('VITRIN_ERR_STORE_OPEN', 'this build has no roster store');
      return await rosterImportCommand(operand, args, { openRosterStore: deps.openRosterStore, env: deps.env, io });
    }
    if (command === 'record') {
      if (deps.openRadio === undefined) throw new VitrinError('VITRIN_ERR_BLE_SOURCE', 'this build has no radio to record from');
      return await recordCommand(args, { openRadio: deps.openRadio, env: deps.env, io, interrupted: waitForSignal() });
    }
    if (command === 'calibrate') {
      return await calibrateCommand(args, { ...(deps.openRadio === undefined ? {} : { openRadio: deps.openRadio }), env: deps.env, io, interrupted: waitForSignal() });
    }
    if (command === 'model') return await modelCommand(argv, { checkModel: deps.checkModel, io });
    if (command === 'mosquitto-config') return mosquittoConfigCommand(args, { env: deps.env, io });
    if (command === 'hash-password') return await hashPasswordCommand(args, { io, readInput: deps.readInput ?? (() => readFirstLine()) });
    if (command === 'eid') {
      io.out(eidCommand(args));
      return 0;
    }
    if (command === 'help' || args.flags.has('help')) {
      io.out(USAGE);
      return 0;
    }
    throw new VitrinError('VITRIN_ERR_CLI_USAGE', `unknown command "${[command, sub].filter(Boolean).join(' ')}"`);
  } catch (err) {
    if (!isVitrinError(err)) throw err;
    io.err(`${err.code}: ${err.message}`);
    for (const detail of err.details) io.err(`  ${detail}`);
    if (err.code === 'VITRIN_ERR_CLI_USAGE') io.err(USAGE);
    return USAGE_ERRORS.has(err.code) ? 2 : 1;
  }
}

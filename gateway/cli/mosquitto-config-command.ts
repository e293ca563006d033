import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import { VitrinError } from '../errors.js';
import { mosquittoFiles } from '../mqtt/mosquitto-files.js';
import { DEFAULT_ITERATIONS, generatePassword, hashPassword, MAX_ITERATIONS } from '../mqtt/passwords.js';
import { stringFlag, type ParsedArgs } from './args.js';
import type { Output } from './config-command.js';

export interface MosquittoConfigDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly io: Output;
}

export interface HashPasswordDeps {
  readonly io: Output;
  /** The password typed or piped in; read only without --generate. */
  readonly readInput: () => Promise<string>;
}

/** Mosquitto reads these as the user it drops to (group mosquitto); nobody else needs them. */
const FILE_MODE = 0o640;

function writeAtomically(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, text, { mode: FILE_MODE });
    chmodSync(temp, FILE_MODE);
    renameSync(temp, file);
  } catch (cause) {
    throw new VitrinError('VITRIN_ERR_MOSQUITTO_CONFIG', `cannot write ${file} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
}

/**
 * `vitrin mosquitto-config --out <dir> [--config file]`: Mosquitto's password file
 * (`<dir>/passwd`) and ACL file (`<dir>/acl`) for every login in the config, with the
 * topic rules the embedded broker applies, and the same logins for the dynamic security
 * plugin (`<dir>/dynamic-security.json`, tills, receivers and the gateway each bound to
 * its client id).
 * systemd/mosquitto.conf.template points at one or the other.
 */
export function mosquittoConfigCommand(args: ParsedArgs, deps: MosquittoConfigDeps): number {
  const out = stringFlag(args, 'out');
  if (out === undefined) throw new VitrinError('VITRIN_ERR_CLI_USAGE', 'mosquitto-config needs --out <dir>, e.g. --out /etc/mosquitto/vitrin');
  const { config } = loadConfig({ file: stringFlag(args, 'config'), env: deps.env });
  if (config.mqtt.username === '' || config.mqtt.password === '') {
    throw new VitrinError(
      'VITRIN_ERR_MOSQUITTO_CONFIG',
      "the gateway's own Mosquitto login is missing: set mqtt.username and mqtt.password (VITRIN_MQTT__PASSWORD or the store file) before writing Mosquitto's files",
    );
  }
  const files = mosquittoFiles(config, hashPassword(config.mqtt.password));
  const dir = resolve(out);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
  } catch (cause) {
    throw new VitrinError('VITRIN_ERR_MOSQUITTO_CONFIG', `cannot create ${dir}`, { cause });
  }
  const passwordFile = join(dir, 'passwd');
  const aclFile = join(dir, 'acl');
  const dynamicSecurityFile = join(dir, 'dynamic-security.json');
  writeAtomically(passwordFile, files.passwd);
  writeAtomically(aclFile, files.acl);
  writeAtomically(dynamicSecurityFile, files.dynamicSecurity);
  if (files.logins.length === 1) deps.io.err('note: no terminal, receiver, admin or ESPresense login is configured; only the gateway can log in');
  deps.io.out(JSON.stringify({ passwordFile, aclFile, dynamicSecurityFile, logins: files.logins }));
  return 0;
}

/**
 * `vitrin hash-password [--generate] [--iterations N]`: the `$7$` hash to put in config
 * as a passwordHash, of the password read from stdin, or of a new random one
 * (then both are printed, as JSON: the password goes to the terminal, the hash to config).
 */
export async function hashPasswordCommand(args: ParsedArgs, deps: HashPasswordDeps): Promise<number> {
  const text = stringFlag(args, 'iterations');
  const iterations = text === undefined ? DEFAULT_ITERATIONS : Number(text);
  if (!Number.isInteger(iterations) || iterations < 1000 || iterations > MAX_ITERATIONS) {
    throw new VitrinError('VITRIN_ERR_CLI_USAGE', `--iterations needs a whole number from 1000 to ${MAX_ITERATIONS}`);
  }
  if (args.flags.has('generate')) {
    const password = generatePassword();
    deps.io.out(JSON.stringify({ password, passwordHash: hashPassword(password, { iterations }) }));
    return 0;
  }
  const password = (await deps.readInput()).replace(/\r?\n$/, '');
  if (password === '') throw new VitrinError('VITRIN_ERR_CLI_USAGE', 'hash-password reads the password from stdin (printf %s "$PW" | vitrin hash-password), or use --generate');
  deps.io.out(hashPassword(password, { iterations }));
  return 0;
}

/** stdin up to its end or the first line break: a piped password or one typed and Enter. */
export function readFirstLine(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = () => {
      stream.off('data', onData);
      stream.off('end', done);
      stream.off('error', reject);
      stream.pause();
      resolve(text.split(/\r?\n/)[0] ?? '');
    };
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      if (/\r?\n/.test(text)) done();
    };
    stream.on('data', onData);
    stream.once('end', done);
    stream.once('error', reject);
  });
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VitrinError } from '../errors.js';

/** The credential name under systemd: LoadCredential=roster-key:/etc/vitrin/roster-key. */
export const ROSTER_KEY_CREDENTIAL = 'roster-key';
export const ROSTER_KEY_ENV = 'VITRIN_ROSTER_KEY';

function parseKey(text: string, origin: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new VitrinError('VITRIN_ERR_ROSTER_KEY', `the roster key in ${origin} must be 64 hex digits (32 bytes); make one with: openssl rand -hex 32`);
  }
  return Buffer.from(hex, 'hex');
}

/**
 * The 32-byte key the roster is encrypted with: systemd's credential file first
 * ($CREDENTIALS_DIRECTORY/roster-key), then VITRIN_ROSTER_KEY. Undefined when
 * neither is set; a present but malformed key is an error, never ignored.
 */
export function loadRosterKey(env: NodeJS.ProcessEnv): Buffer | undefined {
  const dir = env.CREDENTIALS_DIRECTORY;
  if (dir !== undefined && dir !== '') {
    const file = join(dir, ROSTER_KEY_CREDENTIAL);
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw new VitrinError('VITRIN_ERR_ROSTER_KEY', `cannot read the credential ${file}`, { cause });
    }
    if (text !== undefined) return parseKey(text, `the credential ${ROSTER_KEY_CREDENTIAL}`);
  }
  const value = env[ROSTER_KEY_ENV];
  return value === undefined || value === '' ? undefined : parseKey(value, ROSTER_KEY_ENV);
}

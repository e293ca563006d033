import { VitrinError } from '../errors.js';
import { computeEid } from '../identity/eid.js';
import { stringFlag, type ParsedArgs } from './args.js';

/** `vitrin eid --key <32 hex> --exponent <K> --time <unix seconds>`: the EID an app broadcasts then. */
export function eidCommand(args: ParsedArgs): string {
  const key = stringFlag(args, 'key') ?? '';
  const exponent = Number(stringFlag(args, 'exponent') ?? '10');
  const time = Number(stringFlag(args, 'time') ?? Math.floor(Date.now() / 1000));
  if (!/^[0-9a-fA-F]{32}$/.test(key)) throw new VitrinError('VITRIN_ERR_CLI_USAGE', '--key must be 32 hex digits (16 bytes)');
  if (!Number.isInteger(exponent) || exponent < 0 || exponent > 15) {
    throw new VitrinError('VITRIN_ERR_CLI_USAGE', '--exponent must be an integer 0..15');
  }
  if (!Number.isInteger(time) || time < 0 || time > 0xffffffff) {
    throw new VitrinError('VITRIN_ERR_CLI_USAGE', '--time must be Unix seconds (0..4294967295)');
  }
  return computeEid(Buffer.from(key, 'hex'), exponent, time).toString('hex');
}

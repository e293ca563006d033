import { describe, expect, it } from 'vitest';
import { runCli } from '../../gateway/cli/vitrin.js';
import { computeEid } from '../../gateway/identity/eid.js';

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    startGateway: () => Promise.reject(new Error('not in this test')),
    env: {},
    io: { out: (l) => out.push(l), err: (l) => err.push(l) },
  });
  return { code, out, err };
}

describe('vitrin command line', () => {
  it('`eid` prints the 16-hex-digit identifier the app broadcasts', async () => {
    const key = '000102030405060708090a0b0c0d0e0f';
    const result = await run(['eid', '--key', key, '--exponent', '10', '--time', '1795000000']);
    expect(result).toEqual({ code: 0, out: [computeEid(Buffer.from(key, 'hex'), 10, 1795000000).toString('hex')], err: [] });
    expect(result.out[0]).toMatch(/^[0-9a-f]{16}$/);
  });

  it('`eid` refuses a malformed key with a usage error and exit code 2', async () => {
    const result = await run(['eid', '--key', 'xyz', '--exponent', '10', '--time', '0']);
    expect(result.code).toBe(2);
    expect(result.err[0]).toBe('VITRIN_ERR_CLI_USAGE: --key must be 32 hex digits (16 bytes)');
  });

  it('an unknown command is a usage error that shows the usage', async () => {
    const result = await run(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.err.join('\n')).toContain('usage: vitrin <command>');
  });

  it('`config check` on the defaults passes', async () => {
    const result = await run(['config', 'check']);
    expect(result.code).toBe(0);
    expect(result.out[0]).toContain('config OK');
  });

  it('`start` with an invalid config refuses to start and lists the problems', async () => {
    const out: string[] = [];
    const err: string[] = [];
    let started = false;
    const code = await runCli(['start'], {
      startGateway: () => {
        started = true;
        return Promise.reject(new Error('must not start'));
      },
      env: { VITRIN_HTTP__PORT: 'eighty' },
      io: { out: (l) => out.push(l), err: (l) => err.push(l) },
    });
    expect(started).toBe(false);
    expect(code).toBe(1);
    expect(err).toEqual(['VITRIN_ERR_CONFIG_INVALID: config has 1 problem(s)', '  /http/port: must be integer']);
  });
});

describe('vitrin decode', () => {
  it('prints one JSON object for raw advertising data', async () => {
    const result = await run(['decode', '02011a1bff1801beac2f234454cf6d4a0fadf2f4911ba9ffa600010002c509']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out[0]!)).toEqual({
      frames: [{ type: 'altbeacon', mfgId: 0x0118, id1: '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6', id2: 1, id3: 2, txPower: -59, reserved: 9 }],
    });
  });

  it.each([['zz'], ['abc'], ['1fff4c00']])('refuses malformed input %s with exit code 2 and an error code, no stack', async (input) => {
    const result = await run(['decode', input]);
    expect(result.code).toBe(2);
    expect(result.err[0]).toMatch(/^VITRIN_ERR_DECODE_INPUT: /);
    expect(result.err.join('\n')).not.toContain('    at ');
  });
});

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createRootLogger } from '../../gateway/log.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: createRootLogger('info', stream), lines };
}

describe('root logger', () => {
  it('redacts secrets wherever a config slice is logged', () => {
    const { log, lines } = capture();
    log.child({ module: 'mqtt' }).info({ mqtt: { url: 'mqtt://broker', password: 'hunter2' }, http: { adminToken: 'tok-123' } }, 'settings');
    const text = lines.join('');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('tok-123');
    expect(text).toContain('mqtt://broker');
    expect(JSON.parse(lines[0]!)).toMatchObject({ module: 'mqtt', msg: 'settings' });
  });

  it('redacts personal data: names, identity keys, device addresses', () => {
    const { log, lines } = capture();
    log.info({ member: { id: 'm-1', firstName: 'Elif', identityKey: 'abcd' }, ad: { address: 'aa:bb:cc:dd:ee:ff' } }, 'oops');
    const text = lines.join('');
    for (const secret of ['Elif', 'abcd', 'aa:bb:cc:dd:ee:ff']) expect(text).not.toContain(secret);
    expect(text).toContain('m-1');
  });
});

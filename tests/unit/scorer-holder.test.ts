import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { FeatureBatch, ModelIdentity } from '../../gateway/ports.js';
import { ScorerHolder, type StoppableScorer } from '../../gateway/scoring/scorer-holder.js';

class Gated implements StoppableScorer {
  readonly features = [{ name: 'x', default: 0 }];
  stopped = false;
  private release: (() => void) | undefined;
  constructor(
    readonly model: ModelIdentity,
    private readonly value: number,
    private readonly gated = false,
  ) {}
  score(batch: FeatureBatch): Promise<Float32Array> {
    if (this.stopped) return Promise.reject(new Error('scored on a released session'));
    const result = new Float32Array(batch.rows).fill(this.value);
    if (!this.gated) return Promise.resolve(result);
    return new Promise((resolve) => (this.release = () => resolve(result)));
  }
  open(): void {
    this.release?.();
  }
  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
}

const batch: FeatureBatch = { rows: 2, width: 1, values: new Float32Array(2) };
const id = (version: string) => ({ id: 'propensity', version, sha256: version.padEnd(64, '0') });

describe('model hot swap', () => {
  it('swaps to a package that loaded, reports it, and releases the old one', async () => {
    const old = new Gated(id('1'), 0.1);
    const seen: string[] = [];
    const holder = new ScorerHolder(old, pino({ level: 'silent' }), (m) => seen.push(m.version));
    const next = new Gated(id('2'), 0.2);
    expect(await holder.swap(() => Promise.resolve(next))).toMatchObject({ version: '2' });
    expect([...(await holder.score(batch))]).toEqual([0.2, 0.2].map(Math.fround));
    expect(holder.model.version).toBe('2');
    expect(seen).toEqual(['2']);
    expect(old.stopped).toBe(true);
  });

  it('keeps the model in use when the new package fails to load', async () => {
    const old = new Gated(id('1'), 0.1);
    const holder = new ScorerHolder(old, pino({ level: 'silent' }));
    await expect(holder.swap(() => Promise.reject(new Error('VITRIN_ERR_MODEL_MISMATCH')))).rejects.toThrow('MISMATCH');
    expect(holder.model.version).toBe('1');
    expect(old.stopped).toBe(false);
    expect([...(await holder.score(batch))]).toEqual([0.1, 0.1].map(Math.fround));
  });

  it('lets a batch in flight finish on the old model before releasing it', async () => {
    const old = new Gated(id('1'), 0.1, true);
    const holder = new ScorerHolder(old, pino({ level: 'silent' }));
    const pending = holder.score(batch);
    await holder.swap(() => Promise.resolve(new Gated(id('2'), 0.2)));
    expect(old.stopped).toBe(false);
    old.open();
    expect([...(await pending)]).toEqual([0.1, 0.1].map(Math.fround));
    expect(old.stopped).toBe(true);
  });
});

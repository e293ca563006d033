import type { Logger } from '../log.js';
import type { FeatureBatch, FeatureSpec, ModelIdentity, Scorer } from '../ports.js';

/** A scorer the holder can retire once its last batch is done. */
export interface StoppableScorer extends Scorer {
  stop(): Promise<void>;
}

/**
 * The model in use, swappable while cards are being scored. A new package is loaded,
 * checked and warmed by the loader before it is offered here (a loader that throws
 * leaves the current model in place); the swap itself is one assignment, so a batch
 * runs entirely on the old model or entirely on the new. The old model's session is
 * released only after its last batch returned.
 */
export class ScorerHolder implements Scorer {
  private current: StoppableScorer;
  private readonly inFlight = new Map<StoppableScorer, number>();
  private readonly retiring = new Set<StoppableScorer>();
  private swapping: Promise<unknown> = Promise.resolve();

  constructor(
    initial: StoppableScorer,
    private readonly log: Logger,
    private readonly onSwap?: (model: ModelIdentity) => void,
  ) {
    this.current = initial;
  }

  get model(): ModelIdentity {
    return this.current.model;
  }

  get features(): readonly FeatureSpec[] {
    return this.current.features;
  }

  async score(batch: FeatureBatch): Promise<Float32Array> {
    const scorer = this.current;
    this.inFlight.set(scorer, (this.inFlight.get(scorer) ?? 0) + 1);
    try {
      return await scorer.score(batch);
    } finally {
      const left = (this.inFlight.get(scorer) ?? 1) - 1;
      this.inFlight.set(scorer, left);
      if (left === 0 && this.retiring.has(scorer)) await this.retire(scorer);
    }
  }

  /**
   * Loads a package with `load` and, if it succeeds, makes it the model in use. Swaps
   * run one at a time. Returns the model in use afterwards; throws (and keeps the
   * current model) when loading fails.
   */
  swap(load: () => Promise<StoppableScorer>): Promise<ModelIdentity> {
    const run = this.swapping.then(async () => {
      const next = await load();
      const previous = this.current;
      this.current = next;
      this.log.info({ from: `${previous.model.id}@${previous.model.version}`, to: `${next.model.id}@${next.model.version}`, sha256: next.model.sha256.slice(0, 12) }, 'model swapped');
      this.onSwap?.(next.model);
      this.retiring.add(previous);
      if ((this.inFlight.get(previous) ?? 0) === 0) await this.retire(previous);
      return next.model;
    });
    this.swapping = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    await this.swapping;
    await this.current.stop();
  }

  private async retire(scorer: StoppableScorer): Promise<void> {
    this.retiring.delete(scorer);
    this.inFlight.delete(scorer);
    try {
      await scorer.stop();
    } catch (err) {
      this.log.warn({ err }, 'the previous model did not release cleanly');
    }
  }
}

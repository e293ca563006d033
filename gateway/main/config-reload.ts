// gateway/request/reload-config: what a running gateway can take from an edited config
// file, and what waits for a restart.

import type { CardFlow } from '../cards/card-flow.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';

export interface ReloadOutcome {
  readonly applied: string[];
  readonly restartNeeded: string[];
}

export function configReloader(file: string | undefined, env: NodeJS.ProcessEnv, running: Config, cards: CardFlow, log: Logger): () => ReloadOutcome {
  return () => {
    const next = loadConfig({ file, env }).config;
    const changed = Object.keys(next).filter((key) => JSON.stringify(next[key as keyof Config]) !== JSON.stringify(running[key as keyof Config]));
    const applied: string[] = [];
    if (changed.includes('cards')) {
      cards.reconfigure(next.cards);
      applied.push('cards');
    }
    // Everything else is wired into running parts (sockets, radios, loggers made at start): a restart applies it.
    const restartNeeded = changed.filter((key) => key !== 'cards');
    log.info({ applied, restartNeeded }, 'config reloaded');
    return { applied, restartNeeded };
  };
}

import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import { secretPaths } from './config/secrets.js';

export type { Logger } from 'pino';

// Personal data that must never reach a log line even when a whole object is logged
// by mistake: names, identity keys, device addresses and raw payloads.
const PERSONAL_DATA = ['firstName', 'lastName', 'name', 'email', 'phone', 'identityKey', 'address', 'rawData'];
const HTTP_SECRETS = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'];

export function redactPaths(): string[] {
  const secrets = secretPaths().flatMap((path) => {
    const key = path.split('.').at(-1) ?? path;
    return [path, `config.${path}`, key, `*.${key}`];
  });
  const personal = PERSONAL_DATA.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  return [...new Set([...secrets, ...personal, ...HTTP_SECRETS])];
}

export interface Problem {
  readonly time: string;
  readonly level: 'warn' | 'error' | 'fatal';
  readonly module?: string;
  readonly code?: string;
  readonly msg: string;
}

/**
 * The last warnings and errors, for the admin page: the message, its module and its
 * error code only. Messages are fixed texts in the code; the objects logged with them
 * (which may name things) are not kept.
 */
export class RecentProblems {
  private readonly items: Problem[] = [];

  constructor(private readonly capacity = 50) {}

  add(problem: Problem): void {
    this.items.push(problem);
    if (this.items.length > this.capacity) this.items.shift();
  }

  list(): Problem[] {
    return [...this.items].reverse();
  }
}

const LEVEL_NAMES: Record<number, Problem['level']> = { 40: 'warn', 50: 'error', 60: 'fatal' };

/** The one root logger; every part gets `log.child({ module })`. */
export function createRootLogger(level: string, destination?: DestinationStream, problems?: RecentProblems): Logger {
  return pino(
    {
      level,
      base: { service: 'vitrin' },
      redact: { paths: redactPaths(), censor: '[redacted]' },
      serializers: { err: stdSerializers.err },
      ...(problems === undefined
        ? {}
        : {
            hooks: {
              logMethod(this: Logger, args: Parameters<Logger['info']>, method: (...a: unknown[]) => void, levelValue: number) {
                const name = LEVEL_NAMES[levelValue];
                if (name !== undefined) {
                  const [first, second] = args as unknown[];
                  const fields = typeof first === 'object' && first !== null ? (first as { code?: unknown }) : {};
                  const msg = typeof first === 'string' ? first : typeof second === 'string' ? second : '';
                  const module = (this.bindings() as { module?: unknown }).module;
                  problems.add({
                    time: new Date().toISOString(),
                    level: name,
                    msg,
                    ...(typeof module === 'string' ? { module } : {}),
                    ...(typeof fields.code === 'string' ? { code: fields.code } : {}),
                  });
                }
                method.apply(this, args);
              },
            },
          }),
    },
    destination,
  );
}

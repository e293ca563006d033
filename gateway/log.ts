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

/** The one root logger; every part gets `log.child({ module })`. */
export function createRootLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'vitrin' },
      redact: { paths: redactPaths(), censor: '[redacted]' },
      serializers: { err: stdSerializers.err },
    },
    destination,
  );
}

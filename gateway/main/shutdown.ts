import type { LifecycleStack } from '../lifecycle.js';
import type { Logger } from '../log.js';
import type { ServiceNotifier } from '../ports.js';

/**
 * The running service's stop: tells systemd, stops every part in reverse order of
 * start, then releases the notify socket. Calls after the first get the same promise.
 */
export function shutdown(stack: LifecycleStack, notifier: ServiceNotifier, log: Logger, done: string): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      notifier.stopping();
      notifier.stopWatchdog();
      await stack.stopAll();
      notifier.close();
      log.info(done);
    })();
    return stopping;
  };
}

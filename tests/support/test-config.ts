import { loadConfig } from '../../gateway/config/load.js';
import type { Config } from '../../gateway/config/schema.js';

/** The shipped default config with VITRIN_* overrides, as the service would load it. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ env }).config as Config;
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../gateway/metrics.js';
import { PACKAGE_ROOT } from '../../gateway/package-root.js';

// Store IT reads the README to build dashboards and alerts: every series /metrics
// exports must be there with its meaning.

const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');

describe('README documents the metrics', () => {
  it('lists every vitrin_* series in the metrics table', async () => {
    const metrics = createMetrics({ mqttConnected: () => true, outboxDepth: () => 0 });
    const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name).filter((name) => !name.startsWith('vitrin_process_'));
    expect(names.length).toBeGreaterThan(10);
    const undocumented = names.filter((name) => !new RegExp(`^\\| \`${name}(\\{[^}]*\\})?\` \\|`, 'm').test(readme));
    expect(undocumented).toEqual([]);
  });

  it('explains the process series and the health topic', () => {
    expect(readme).toContain('`vitrin_process_*`');
    expect(readme).toContain('`gateway/health`');
    expect(readme).toContain('vitrin.health/1');
  });
});

// The layer rule of DESIGN.md section 2, checked in CI (npm run layers).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-imports-no-adapter',
      comment: 'Only gateway/main.ts, the composition root, may import adapters/.',
      severity: 'error',
      from: { path: '^gateway/', pathNot: '^gateway/main\\.ts$' },
      to: { path: '^adapters/' },
    },
    {
      name: 'core-imports-no-hardware-library',
      comment: 'noble, mqtt, better-sqlite3, onnxruntime-node and aedes stay inside adapters/.',
      severity: 'error',
      from: { path: '^gateway/' },
      to: { path: 'node_modules/(@stoprocent/noble|noble|mqtt|better-sqlite3|onnxruntime-node|onnxruntime-common|aedes|unix-dgram)/' },
    },
    {
      name: 'adapters-do-not-import-each-other',
      comment: 'Each adapter implements a core port on its own; shared needs belong in the core.',
      severity: 'error',
      from: { path: '^adapters/([^/]+)/' },
      to: { path: '^adapters/', pathNot: '^adapters/$1/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'production-code-does-not-import-tests',
      severity: 'error',
      from: { path: '^(gateway|adapters)/' },
      to: { path: '^tests/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};

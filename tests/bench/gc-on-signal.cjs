// Preloaded by the resolve benchmark into the service it measures (node --expose-gc -r):
// SIGUSR2 runs a full garbage collection, so the benchmark can read what the service
// really holds beside what it happens to hold a minute after start.
process.on('SIGUSR2', () => {
  global.gc();
  setTimeout(() => global.gc(), 200);
});

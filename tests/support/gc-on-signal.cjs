// Preloaded by the resolve benchmark and the soak into the service they measure (node --expose-gc -r):
// SIGUSR2 runs a full garbage collection, so they can read what the service really
// holds beside what V8 happens not to have given back yet.
process.on('SIGUSR2', () => {
  global.gc();
  setTimeout(() => global.gc(), 200);
});

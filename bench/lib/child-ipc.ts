// The IPC side of a benchmark's child process (idle-child.ts, fleet-child.ts): 'sample' answers
// with the process's own CPU time (process.cpuUsage, µs, all threads) and RSS; 'stop' runs `stop`,
// then exits.
export function answerSamples(stop: () => Promise<unknown>): void {
  process.on('message', (msg) => {
    if (msg === 'sample') {
      const cpu = process.cpuUsage();
      process.send?.({ userUs: cpu.user, systemUs: cpu.system, rssBytes: process.memoryUsage.rss() });
    } else if (msg === 'stop') {
      void (async () => {
        await stop();
        process.disconnect?.();
        process.exit(0);
      })();
    }
  });
}

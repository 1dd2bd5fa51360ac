// A clock for the checks' timings that moves only when a test says so: "too slow" is tested
// without waiting, and no test depends on how busy the machine is.
export const testClock = {
  ms: 0,
  now: (): number => testClock.ms,
  advance(ms: number): void {
    testClock.ms += ms;
  },
};

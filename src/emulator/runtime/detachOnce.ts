// V8 assumes no ArrayBuffer in an isolate has ever been detached until one is, and compiles typed-array code on
// that assumption; the first detach (moving a buffer to another thread does it) throws away every optimised
// function of that thread at once. The host moves every request to a worker and every worker moves every reply
// back, so without this the first real request paid for recompiling the hot paths (a worker's second photo took
// 14-28 ms to preprocess instead of ~5). Detaching a scratch buffer first, before anything is hot, moves that
// one-off cost to start-up, where there is nothing to throw away.

export function detachOnce(): void {
  const scratch = new ArrayBuffer(8);
  structuredClone(scratch, { transfer: [scratch] });
}

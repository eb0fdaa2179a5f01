/**
 * Small deterministic pseudo-random numbers for the simulator. Values are derived from (seed, slot)
 * rather than drawn in sequence, so the same instant gives the same value whatever the call order.
 */

/** mulberry32: a 32-bit PRNG; returns a generator of uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A well-mixed 32-bit seed from a user seed and an integer slot (any safe integer, negative too). */
export function mixSeed(seed: number, slot: number): number {
  const high = Math.floor(slot / 4_294_967_296);
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const word of [slot >>> 0, high >>> 0]) {
    h = Math.imul(h ^ word, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Uniform number in [0, 1) for (seed, slot): deterministic, order-independent. */
export function uniformAt(seed: number, slot: number): number {
  return mulberry32(mixSeed(seed, slot))();
}

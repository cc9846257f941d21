// The tests' seeded PRNG is the product's (src/domain/random.ts), so a failure can be replayed from its seed.
export { seededRandom as rng } from '../../src/domain/random';

/**
 * NumPy's legacy generator, `np.random.RandomState` / `np.random.seed`: MT19937 seeded with
 * `init_genrand`, bounded integers by masked rejection sampling (the legacy, backward-compatible method,
 * not Lemire's), and `permutation` by a Fisher-Yates shuffle from the last element down.
 *
 * The study drew its concatenations with `np.random.seed(0)` + `np.random.randint` and split with
 * scikit-learn's `train_test_split(random_state=0)`; reproducing its rows and split exactly needs this
 * generator bit for bit. The tests hold it against sequences NumPy printed.
 */
const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class LegacyRandomState {
  private readonly mt = new Uint32Array(N);
  private index = N;
  readonly seed: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`seed must be an integer between 0 and 2**32 - 1, got ${seed}`);
    }
    this.seed = seed;
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      // 1812433253 * prev + i, modulo 2**32, without losing bits to floating point
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** The next raw 32-bit output (`genrand_int32`). */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const mt = this.mt;
    for (let k = 0; k < N; k++) {
      const y = (mt[k] & UPPER_MASK) | (mt[(k + 1) % N] & LOWER_MASK);
      mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    this.index = 0;
  }

  /** NumPy's `random_interval(max)`: uniform on [0, max] by masked rejection (max < 2**32). */
  interval(max: number): number {
    if (max === 0) return 0;
    if (max > 0xffffffff) throw new RangeError("ranges above 2**32 are not needed here and not implemented");
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value: number;
    do value = (this.nextUint32() & mask) >>> 0;
    while (value > max);
    return value;
  }

  /** `randint(low, high)`: one integer in [low, high), as the legacy `np.random.randint` draws it. */
  randint(low: number, high: number): number {
    if (!(high > low)) throw new RangeError(`randint: low (${low}) must be below high (${high})`);
    return low + this.interval(high - 1 - low);
  }

  /** `shuffle(x)` for a 1-d array, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i >= 1; i--) {
      const j = this.interval(i);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** `permutation(n)`: a shuffled `arange(n)`. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** `random_sample()`: a double in [0, 1) from two 32-bit outputs (53 bits), as NumPy's legacy generator. */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}

// A seeded pseudo-random generator: a failing fuzz case is the same case on every run and machine.

/** mulberry32: small, fast, and good enough to spread test inputs (not for secrets). */
export class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new Error("pick from an empty list");
    return list[this.int(0, list.length - 1)]!;
  }

  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(0, 255));
  }

  /** A string of `n` characters drawn from ASCII, control characters, and a few astral and combining ones. */
  text(n: number): string {
    const alphabet = ["a", "Z", "0", " ", "'", '"', "\\", "/", "%", "&", "=", "<", ">", ";", "\u0000", "\n", "\u202e", "é", "\u0301", "电", "☎️", "\ud83d\ude00", "\ud800"];
    return Array.from({ length: n }, () => this.pick(alphabet)).join("");
  }

  shuffle<T>(list: readonly T[]): T[] {
    const out = [...list];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

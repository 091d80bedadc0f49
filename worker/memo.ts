/**
 * `build`, run once per key object (a binding, an env) and remembered while the key lives. For what
 * every request would otherwise rebuild: under load, rebuilding them was a large share of the CPU
 * (bench profile, docs/benchmarks.md).
 */
export function oncePer<K extends object, V>(build: (key: K) => V): (key: K) => V {
  const cache = new WeakMap<K, V>();
  return (key) => {
    if (cache.has(key)) return cache.get(key)!;
    const value = build(key);
    cache.set(key, value);
    return value;
  };
}

/**
 * A value built on first use, standing in for itself until then. zod schemas are objects that
 * cost CPU to build: built at module load, every daemon start paid for the schemas of messages,
 * replies and configuration files it had not yet seen (decision 0041). `lazily(() => z.object(…))`
 * has the schema's type and behaves as the schema (methods run on the built schema; `instanceof`,
 * `in`, Object.keys, Object.hasOwn and JSON.stringify see it); the builder runs once, at the
 * first use.
 */
let built = 0;

/** How many lazily values this process has built (test/daemon/thin-client.test.ts: none at start). */
export function lazilyBuilt(): number {
  return built;
}

export function lazily<T extends object>(build: () => T): T {
  let value: T | undefined;
  const real = (): T => {
    if (value === undefined) {
      value = build();
      built++;
    }
    return value;
  };
  return new Proxy({} as T, {
    get(_target, key) {
      const r = real();
      const v: unknown = Reflect.get(r, key, r);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(r) : v;
    },
    set: (_target, key, v) => Reflect.set(real(), key, v),
    has: (_target, key) => Reflect.has(real(), key),
    deleteProperty: (_target, key) => Reflect.deleteProperty(real(), key),
    defineProperty: (_target, key, d) => Reflect.defineProperty(real(), key, d),
    ownKeys: () => Reflect.ownKeys(real()),
    // reported configurable: the stand-in itself has no properties, and a proxy may not claim
    // a fixed property its target lacks
    getOwnPropertyDescriptor: (_target, key) => {
      const d = Reflect.getOwnPropertyDescriptor(real(), key);
      return d === undefined ? undefined : { ...d, configurable: true };
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
}

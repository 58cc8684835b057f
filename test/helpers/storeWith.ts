import type { Store } from '../../src/store';

/** The store with some of its methods replaced; the others still answer from it. */
export function storeWith(store: Store, replaced: Partial<Store>): Store {
  return new Proxy(store, {
    get(target, key) {
      if (key in replaced) return replaced[key as keyof Store];
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

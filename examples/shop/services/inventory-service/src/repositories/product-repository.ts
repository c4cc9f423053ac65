import { randomUUID } from 'node:crypto';

/** The stored product: the union of every version's fields. */
export interface Product {
  id: string;
  name: string;
  sku: string | null;
  stock: number;
  price: { amount: number; currency: string } | null;
  createdAt: string;
}

export type NewProduct = Omit<Product, 'id' | 'createdAt'>;

/** Where products live. Writes publish their events in the same transaction. */
export interface ProductRepository {
  list(): Promise<Product[]>;
  get(id: string): Promise<Product | undefined>;
  findBySku(sku: string): Promise<Product | undefined>;
  create(input: NewProduct): Promise<Product>;
  /** Adds `delta` to stock; undefined if the product does not exist; throws if stock would go below 0. */
  adjustStock(id: string, delta: number): Promise<Product | undefined>;
}

/** In-process storage for tests of the HTTP contract (publishes no events). */
export function createMemoryProductRepository(): ProductRepository {
  const products = new Map<string, Product>();
  return {
    async list() {
      return [...products.values()].reverse();
    },
    async get(id) {
      return products.get(id);
    },
    async findBySku(sku) {
      return [...products.values()].find((p) => p.sku === sku);
    },
    async create(input) {
      const product = { ...input, id: randomUUID(), createdAt: new Date().toISOString() };
      products.set(product.id, product);
      return product;
    },
    async adjustStock(id, delta) {
      const product = products.get(id);
      if (!product) return undefined;
      if (product.stock + delta < 0) throw new RangeError('stock below zero');
      product.stock += delta;
      return product;
    },
  };
}

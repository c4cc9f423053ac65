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

/** Where products live. */
export interface ProductRepository {
  list(): Promise<Product[]>;
  get(id: string): Promise<Product | undefined>;
  findBySku(sku: string): Promise<Product | undefined>;
  create(input: NewProduct): Promise<Product>;
}

/** In-process storage (the database-backed repository replaces it when DATABASE_URL is used). */
export function createMemoryProductRepository(): ProductRepository {
  const products = new Map<string, Product>();
  return {
    async list() {
      return [...products.values()];
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
  };
}

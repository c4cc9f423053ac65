import { randomUUID } from 'node:crypto';

/** The stored product: the union of every version's fields. */
export interface Product {
  id: string;
  /** The tenant (shop) the product belongs to. */
  tenant: string;
  name: string;
  sku: string | null;
  stock: number;
  price: { amount: number; currency: string } | null;
  createdAt: string;
}

export type NewProduct = Omit<Product, 'id' | 'tenant' | 'createdAt'>;

/**
 * Where products live. Every method takes the tenant: a query without a tenant filter cannot be
 * written through this interface. Writes publish their events in the same transaction.
 */
export interface ProductRepository {
  /** The tenant's products, newest first. */
  list(tenant: string): Promise<Product[]>;
  /** The product if it exists in this tenant (another tenant's id: undefined). */
  get(tenant: string, id: string): Promise<Product | undefined>;
  /** SKUs are unique per tenant. */
  findBySku(tenant: string, sku: string): Promise<Product | undefined>;
  create(tenant: string, input: NewProduct): Promise<Product>;
  /**
   * Adds `delta` to stock; undefined if the product does not exist in this tenant; throws a
   * RangeError if stock would go below 0.
   */
  adjustStock(tenant: string, id: string, delta: number): Promise<Product | undefined>;
}

/** In-process storage for tests of the HTTP contract (publishes no events). */
export function createMemoryProductRepository(): ProductRepository {
  const products = new Map<string, Product>();
  const inTenant = (tenant: string) => [...products.values()].filter((p) => p.tenant === tenant);
  return {
    async list(tenant) {
      return inTenant(tenant).reverse();
    },
    async get(tenant, id) {
      const product = products.get(id);
      return product?.tenant === tenant ? product : undefined;
    },
    async findBySku(tenant, sku) {
      return inTenant(tenant).find((p) => p.sku === sku);
    },
    async create(tenant, input) {
      const product = { ...input, id: randomUUID(), tenant, createdAt: new Date().toISOString() };
      products.set(product.id, product);
      return product;
    },
    async adjustStock(tenant, id, delta) {
      const product = products.get(id);
      if (product?.tenant !== tenant) return undefined;
      if (product.stock + delta < 0) throw new RangeError('stock below zero');
      product.stock += delta;
      return product;
    },
  };
}

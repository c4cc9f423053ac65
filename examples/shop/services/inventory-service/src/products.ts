import { InventoryErrors } from './errors.ts';
import type { NewProduct, Product, ProductRepository } from './repositories/product-repository.ts';

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/**
 * Product use cases, shared by every API version. Every call names the tenant it acts in (the
 * routes resolve it: see tenants.ts); another tenant's product is simply not found.
 */
export class Products {
  readonly #repo: ProductRepository;

  constructor(repo: ProductRepository) {
    this.#repo = repo;
  }

  list(tenant: string): Promise<Product[]> {
    return this.#repo.list(tenant);
  }

  async get(tenant: string, id: string): Promise<Product> {
    const product = await this.#repo.get(tenant, id);
    if (!product) throw InventoryErrors.PRODUCT_NOT_FOUND({ params: { id } });
    return product;
  }

  async create(tenant: string, input: NewProduct): Promise<Product> {
    if (input.price && !CURRENCIES.has(input.price.currency)) {
      throw InventoryErrors.CURRENCY_UNKNOWN({
        params: { currency: input.price.currency },
        details: { fields: [{ path: 'body/price/currency', message: 'must be an ISO 4217 code' }] },
      });
    }
    if (input.sku !== null && (await this.#repo.findBySku(tenant, input.sku))) {
      throw InventoryErrors.SKU_TAKEN({ params: { sku: input.sku } });
    }
    return this.#repo.create(tenant, input);
  }

  async adjustStock(tenant: string, id: string, delta: number): Promise<Product> {
    let product: Product | undefined;
    try {
      product = await this.#repo.adjustStock(tenant, id, delta);
    } catch (err) {
      if (err instanceof RangeError) throw InventoryErrors.STOCK_INSUFFICIENT({ params: { id } });
      throw err;
    }
    if (!product) throw InventoryErrors.PRODUCT_NOT_FOUND({ params: { id } });
    return product;
  }
}

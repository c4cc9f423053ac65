import { type CreateServiceOptions, createService, type Service } from '@outrig/core';
import { Products } from './products.ts';
import { createMemoryProductRepository, type ProductRepository } from './repositories/product-repository.ts';
import { productRoutesV1 } from './routes/v1.ts';
import { productRoutesV2 } from './routes/v2.ts';

export interface InventoryServiceOptions extends Pick<CreateServiceOptions, 'env' | 'logStream'> {
  repository?: ProductRepository;
}

/** inventory-service: products with stock. v1 is deprecated in favour of v2. */
export function buildInventoryService(options: InventoryServiceOptions = {}): Service {
  const service = createService({
    name: 'inventory-service',
    port: 8004,
    description: 'Products and stock',
    env: options.env,
    logStream: options.logStream,
  });
  const products = new Products(options.repository ?? createMemoryProductRepository());
  service.version(1, productRoutesV1(products), { deprecated: '2026-09-01', sunset: '2027-03-01' });
  service.version(2, productRoutesV2(products));
  return service;
}

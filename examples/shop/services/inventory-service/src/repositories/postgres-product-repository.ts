import { randomUUID } from 'node:crypto';
import { joinDrizzleTransaction } from '@outrig/db';
import type { Outbox } from '@outrig/messaging';
import { and, desc, eq, sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { ProductCreated, ProductStockAdjusted } from '../events/product-events.ts';
import { productTable } from '../models/product-table.ts';
import type { NewProduct, Product, ProductRepository } from './product-repository.ts';

type Row = typeof productTable.$inferSelect;

const toProduct = (r: Row): Product => ({
  id: r.id,
  tenant: r.tenantId,
  name: r.name,
  sku: r.sku,
  stock: r.stock,
  price:
    r.priceAmount === null || r.priceCurrency === null
      ? null
      : { amount: r.priceAmount, currency: r.priceCurrency },
  createdAt: r.createdAt.toISOString(),
});

/** `tenant_id = tenant`, and `id = id` when given: every query of this repository starts here. */
const inTenant = (tenant: string, id?: string) =>
  id === undefined
    ? eq(productTable.tenantId, tenant)
    : and(eq(productTable.tenantId, tenant), eq(productTable.id, id));

/**
 * Products in inventory-service's own database (Drizzle). Every query is filtered on the tenant.
 * Every write commits its event to the outbox in the same transaction: the state change and
 * `product.*` are never separated; events carry the product's tenant.
 */
export function createPostgresProductRepository(db: NodePgDatabase, outbox: Outbox): ProductRepository {
  const eventOf = (p: Product) => ({
    id: p.id,
    tenant: p.tenant,
    name: p.name,
    sku: p.sku,
    stock: p.stock,
    price: p.price,
  });
  return {
    async list(tenant) {
      const rows = await db
        .select()
        .from(productTable)
        .where(inTenant(tenant))
        .orderBy(desc(productTable.createdAt))
        .limit(1000);
      return rows.map(toProduct);
    },
    async get(tenant, id) {
      const [row] = await db.select().from(productTable).where(inTenant(tenant, id));
      return row && toProduct(row);
    },
    async findBySku(tenant, sku) {
      const [row] = await db
        .select()
        .from(productTable)
        .where(and(inTenant(tenant), eq(productTable.sku, sku)));
      return row && toProduct(row);
    },
    create(tenant, input: NewProduct) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(productTable)
          .values({
            id: randomUUID(),
            tenantId: tenant,
            name: input.name,
            sku: input.sku,
            stock: input.stock,
            priceAmount: input.price?.amount ?? null,
            priceCurrency: input.price?.currency ?? null,
          })
          .returning();
        const product = toProduct(row!);
        await outbox.write(
          joinDrizzleTransaction(tx),
          outbox.event(ProductCreated, { subject: product.id, data: eventOf(product) }),
        );
        return product;
      });
    },
    adjustStock(tenant, id, delta) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(productTable)
          .set({ stock: sql`${productTable.stock} + ${delta}` })
          .where(inTenant(tenant, id))
          .returning();
        if (!row) return undefined;
        if (row.stock < 0) throw new RangeError('stock below zero');
        const product = toProduct(row);
        await outbox.write(
          joinDrizzleTransaction(tx),
          outbox.event(ProductStockAdjusted, {
            subject: id,
            data: { id, tenant, delta, stock: product.stock },
          }),
        );
        return product;
      });
    },
  };
}

import { randomUUID } from 'node:crypto';
import { joinDrizzleTransaction } from '@outrig/db';
import type { Outbox } from '@outrig/messaging';
import { desc, eq, sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { ProductCreated, ProductStockAdjusted } from '../events/product-events.ts';
import { productTable } from '../models/product-table.ts';
import type { NewProduct, Product, ProductRepository } from './product-repository.ts';

type Row = typeof productTable.$inferSelect;

const toProduct = (r: Row): Product => ({
  id: r.id,
  name: r.name,
  sku: r.sku,
  stock: r.stock,
  price:
    r.priceAmount === null || r.priceCurrency === null
      ? null
      : { amount: r.priceAmount, currency: r.priceCurrency },
  createdAt: r.createdAt.toISOString(),
});

/**
 * Products in inventory-service's own database (Drizzle). Every write commits its event to the
 * outbox in the same transaction: the state change and `product.*` are never separated.
 */
export function createPostgresProductRepository(db: NodePgDatabase, outbox: Outbox): ProductRepository {
  const eventOf = (p: Product) => ({ id: p.id, name: p.name, sku: p.sku, stock: p.stock, price: p.price });
  return {
    async list() {
      return (await db.select().from(productTable).orderBy(desc(productTable.createdAt)).limit(1000)).map(
        toProduct,
      );
    },
    async get(id) {
      const [row] = await db.select().from(productTable).where(eq(productTable.id, id));
      return row && toProduct(row);
    },
    async findBySku(sku) {
      const [row] = await db.select().from(productTable).where(eq(productTable.sku, sku));
      return row && toProduct(row);
    },
    create(input: NewProduct) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(productTable)
          .values({
            id: randomUUID(),
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
    adjustStock(id, delta) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(productTable)
          .set({ stock: sql`${productTable.stock} + ${delta}` })
          .where(eq(productTable.id, id))
          .returning();
        if (!row) return undefined;
        if (row.stock < 0) throw new RangeError('stock below zero');
        const product = toProduct(row);
        await outbox.write(
          joinDrizzleTransaction(tx),
          outbox.event(ProductStockAdjusted, { subject: id, data: { id, delta, stock: product.stock } }),
        );
        return product;
      });
    },
  };
}

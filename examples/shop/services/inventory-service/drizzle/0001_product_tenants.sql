-- Products belong to a tenant. Rows from before tenants existed go to `default`; the default is
-- dropped again so that every new row names its tenant (the repository always does).
ALTER TABLE "products" ADD COLUMN "tenant_id" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ALTER COLUMN "tenant_id" DROP DEFAULT;--> statement-breakpoint
-- SKUs are unique per tenant (a global constraint would let one tenant probe another's SKUs).
ALTER TABLE "products" DROP CONSTRAINT "products_sku_unique";--> statement-breakpoint
ALTER TABLE "products" ADD CONSTRAINT "products_tenant_sku_unique" UNIQUE("tenant_id","sku");--> statement-breakpoint
CREATE INDEX "products_tenant_created_at_idx" ON "products" USING btree ("tenant_id","created_at");

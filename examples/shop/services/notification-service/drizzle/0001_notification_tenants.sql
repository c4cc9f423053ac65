-- Notifications belong to the tenant of the event that caused them. Existing rows were made from
-- events without a tenant: they go to `default`. The default is dropped again so that every new
-- row names its tenant (the repository always does).
ALTER TABLE "notifications" ADD COLUMN "tenant_id" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ALTER COLUMN "tenant_id" DROP DEFAULT;--> statement-breakpoint
CREATE INDEX "notifications_tenant_created_at_idx" ON "notifications" USING btree ("tenant_id","created_at");

import { defineConfig } from 'drizzle-kit';

// `outrig db generate payment-service` (drizzle-kit generate in this folder) writes a new
// migration into drizzle/ after a change to src/models; connectDatabase() applies them at start.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/models/order-table.ts',
  out: './drizzle',
});

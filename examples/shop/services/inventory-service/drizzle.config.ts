import { defineConfig } from 'drizzle-kit';

// `npx outrig db generate inventory-service` (in examples/shop) writes a new migration into drizzle/ after
// a change to src/models. Migrations are applied at start by connectDatabase() (or
// `npm run db:migrate`), which refuses a database whose applied migrations differ.
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/models/product-table.ts', './src/models/reservation-table.ts'],
  out: './drizzle',
});

import { defineConfig } from 'drizzle-kit';

// `npx drizzle-kit generate --name <name>` (in this folder) writes a new migration into drizzle/
// after a change to src/models. Migrations are applied at start by connectDatabase() (or
// `npm run db:migrate`), which refuses a database whose applied migrations differ.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/models/auth-tables.ts',
  out: './drizzle',
});

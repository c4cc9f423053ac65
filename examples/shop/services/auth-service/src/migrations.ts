import { authMigrations } from '@outrig/auth';

/** What `outrig db migrate|status|reset auth-service` applies (the `migrations` export convention). */
export const migrations = authMigrations;

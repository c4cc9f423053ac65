/**
 * The reference system: which services `npm start` runs, on which ports.
 * Each service is a separate process started from its `src/main.ts`.
 */
export interface ServiceSpec {
  name: string;
  /** Folder under examples/shop/services. */
  dir: string;
  port: number;
  /** `false`: the service keeps no state (no database is created for it). Default true. */
  database?: boolean;
}

export const services: ServiceSpec[] = [
  { name: 'auth-service', dir: 'auth-service', port: 8001 },
  { name: 'inventory-service', dir: 'inventory-service', port: 8004 },
  { name: 'notification-service', dir: 'notification-service', port: 8006 },
  { name: 'gateway', dir: 'gateway', port: 10_000, database: false },
];

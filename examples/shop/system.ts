/**
 * The reference system: which services `npm start` runs, on which ports.
 * Each service is a separate process started from its `src/main.ts`.
 */
export interface ServiceSpec {
  name: string;
  /** Folder under examples/shop/services. */
  dir: string;
  port: number;
}

export const services: ServiceSpec[] = [
  { name: 'inventory-service', dir: 'inventory-service', port: 8004 },
  { name: 'notification-service', dir: 'notification-service', port: 8006 },
];

import shop from '../../outrig.json' with { type: 'json' };

/** A service of the reference system as its tests need it (from examples/shop/outrig.json). */
export interface ShopService {
  readonly name: string;
  readonly port: number;
  /** False for a service without a database of its own (the gateway). */
  readonly database: boolean;
}

/** Every service `npm start` (`outrig dev`) runs, in the order of outrig.json. */
export const shopServices: readonly ShopService[] = Object.entries(shop.services).map(([name, s]) => ({
  name,
  port: s.port,
  database: !('kind' in s && s.kind === 'gateway'),
}));

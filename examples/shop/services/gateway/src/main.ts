import { runService } from '@outrig/core';
import { createShopGateway } from './gateway.ts';

await runService(() => createShopGateway());

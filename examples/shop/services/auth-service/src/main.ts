import { runService } from '@outrig/core';
import { createShopAuthService } from './service.ts';

await runService(() => createShopAuthService());

import { runService } from '@outrig/core';
import { createOrderService } from './service.ts';

await runService(() => createOrderService());

import { runService } from '@outrig/core';
import { createInventoryService } from './service.ts';

await runService(() => createInventoryService());

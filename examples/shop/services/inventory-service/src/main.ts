import { runService } from '@outrig/core';
import { buildInventoryService } from './service.ts';

await runService(() => buildInventoryService());

import { runService } from '@outrig/core';
import { createNotificationService } from './service.ts';

await runService(() => createNotificationService());

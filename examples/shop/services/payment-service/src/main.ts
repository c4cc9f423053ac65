import { runService } from '@outrig/core';
import { createPaymentService } from './service.ts';

await runService(() => createPaymentService());

import { runService } from '@outrig/core';
import { createAuthService } from './service.ts';

await runService(() => createAuthService());

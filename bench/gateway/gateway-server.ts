// The gateway under test, as a process: one route to the bench upstream with every edge feature
// on — JWT verification (auth: required), the default rate limit (RATE_LIMIT_MAX from the bench,
// high enough never to trip, still counted per caller), circuit breaker and outlier ejection,
// request id and trace headers. The upstream comes from REGISTRY_URL (static:).
import { runService } from '@outrig/core';
import { createGateway } from '@outrig/gateway';

await runService(() =>
  createGateway({
    name: 'bench-gateway',
    routes: [{ path: '/api/*/hello', service: 'bench-upstream', auth: 'required' }],
  }),
);

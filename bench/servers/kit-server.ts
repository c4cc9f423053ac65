// The bench service (servers/kit-app.ts) as a process, configured from the environment as a
// service is (LOG_LEVEL, METRICS_ENABLED, API_DOCS_ENABLED, …). BENCH_ROUTE_OFF
// (comma-separated: envelope, metrics, log) switches features off for the hello route.
import { runService } from '@outrig/core';
import { buildKitService, routeFeatures } from './kit-app.ts';

await runService(() => buildKitService({ off: routeFeatures(process.env.BENCH_ROUTE_OFF) }));

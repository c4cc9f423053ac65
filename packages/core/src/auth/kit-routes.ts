/**
 * Routes the kit itself serves. They are always public and never rate limited: probes, scrapers
 * and docs must work whatever the service's auth default and limits are.
 */
const KIT_ROUTES = new Set([
  '/health',
  '/ready',
  '/metrics',
  '/openapi.json',
  '/asyncapi.json',
  '/docs',
  '/docs/*',
  '/api/versions',
]);

/** True for a kit route (`/health`, `/ready`, `/metrics`, docs, `/api/versions`, the `/api/*` fallback). */
export function isKitRoute(url: string, config: { fallback?: boolean } | undefined): boolean {
  return config?.fallback === true || KIT_ROUTES.has(url);
}

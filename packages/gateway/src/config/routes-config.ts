import { readFileSync } from 'node:fs';
import type { ConfigKey } from '@outrig/core';
import { type CompiledRoute, compileRoutes } from '../routes/gateway-route.ts';

type KeyInit = { env: string; doc: string; optional?: boolean };

/**
 * A config key holding a route table as JSON (`GATEWAY_ROUTES='[{"path":"/api/*\/products",…}]'`).
 * Invalid JSON or routes fail `loadConfig` with `CONFIG_INVALID` naming the variable and every
 * problem (`routes[1].service must be …`).
 */
export function routesJson(init: KeyInit): ConfigKey<CompiledRoute[]> {
  return {
    ...init,
    expected: 'a JSON array of routes ({ "path": "/api/*/products", "service": "inventory-service", … })',
    parse: (raw) => parseTable(raw, 'JSON'),
  };
}

/** A config key naming a JSON file that holds the route table; read and validated at start. */
export function routesFile(init: KeyInit): ConfigKey<CompiledRoute[]> {
  return {
    ...init,
    expected: 'the path of a readable JSON file holding an array of routes',
    parse(raw) {
      let text: string;
      try {
        text = readFileSync(raw, 'utf8');
      } catch (err) {
        throw new Error(`a readable JSON file (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
      }
      return parseTable(text, `JSON in ${raw}`);
    },
  };
}

function parseTable(text: string, what: string): CompiledRoute[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`valid ${what} (${(err as Error).message})`);
  }
  const result = compileRoutes(data);
  if (!result.ok) throw new Error(`a valid route table: ${result.problems.join('; ')}`);
  return result.routes;
}

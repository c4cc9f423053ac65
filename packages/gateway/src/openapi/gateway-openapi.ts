import type { ServiceDocuments } from '../documents/service-documents.ts';
import type { RouteMatcher } from '../routes/route-matcher.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { type MergeInput, mergeOpenApi, type OpenApiDocument } from './merge-openapi.ts';

export interface GatewayOpenApiOptions {
  title: string;
  description?: string;
  /** The gateway's own document (its kit routes: /health, /ready, /api/versions). */
  own: () => OpenApiDocument;
  upstreams: readonly Upstream[];
  matcher: RouteMatcher;
  documents: ServiceDocuments;
}

/**
 * The gateway's `/openapi.json`: its own kit routes plus every upstream service's document
 * (fetched from an instance and cached), each service contributing the paths the route table
 * sends to it. Services that do not answer are listed as unavailable in `x-outrig-services`.
 */
export function gatewayOpenApi(options: GatewayOpenApiOptions): () => Promise<OpenApiDocument> {
  const { matcher } = options;
  return async () => {
    const fetched = await Promise.all(options.upstreams.map((u) => options.documents.get(u)));
    const inputs: MergeInput[] = [
      { service: options.title, document: options.own(), owns: (path) => matcher.match(path) === undefined },
    ];
    const unavailable: { service: string; reason: string }[] = [];
    options.upstreams.forEach((upstream, i) => {
      const result = fetched[i]!;
      if (!result.ok) {
        unavailable.push({ service: upstream.name, reason: result.reason });
        return;
      }
      inputs.push({
        service: upstream.name,
        document: result.value as OpenApiDocument,
        owns: (path) => matcher.match(path)?.route.service === upstream.name,
      });
    });
    return mergeOpenApi(inputs, {
      title: options.title,
      version: '1',
      ...(options.description ? { description: options.description } : {}),
      unavailable,
    });
  };
}

import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/**
 * One log line per request (not Fastify's two), with the route template and duration; routes
 * with `config.log === false` (health, metrics) are silent. The request id is `requestId`.
 */
export class KitLogController extends LogController {
  constructor() {
    super({
      requestIdLogLabel: 'requestId',
      disableRequestLogging: (request: FastifyRequest) =>
        (request.routeOptions?.config as { log?: boolean } | undefined)?.log === false,
    });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    if ((request.routeOptions?.config as { log?: boolean } | undefined)?.log === false) return;
    const line = {
      method: request.method,
      url: request.url,
      route: request.routeOptions?.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

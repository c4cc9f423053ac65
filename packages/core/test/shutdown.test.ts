import { Agent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createService } from '../src/index.ts';

// Graceful stop with a keep-alive client: the request in flight at stop() finishes, and its
// connection (idle once answered) does not hold the drain open until a keep-alive timeout.

function get(port: number, path: string, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('graceful stop', () => {
  it('finishes an in-flight request on a keep-alive connection and stops cleanly', async () => {
    const service = createService({
      name: 'shutdown-test',
      env: { SERVICE_PORT: '0', LOG_LEVEL: 'silent', SHUTDOWN_TIMEOUT_MS: '3000' },
    });
    let release: () => void = () => {};
    const entered = new Promise<void>((resolve) => {
      service.version(1, (api) => {
        api.get('/slow', async () => {
          resolve();
          await new Promise<void>((r) => {
            release = r;
          });
          return { done: true };
        });
      });
    });
    const url = new URL(await service.start({ signals: false }));
    const agent = new Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
    try {
      // Warm the pool so the slow request reuses a kept-alive socket.
      expect((await get(Number(url.port), '/health', agent)).status).toBe(200);
      const slow = get(Number(url.port), '/api/v1/slow', agent);
      await entered;
      const stopped = service.stop();
      setTimeout(() => release(), 100);
      const res = await slow;
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).data).toEqual({ done: true });
      // false would mean SHUTDOWN_TIMEOUT_MS expired and connections were cut.
      expect(await stopped).toBe(true);
    } finally {
      agent.destroy();
    }
  });
});

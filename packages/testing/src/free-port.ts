import { type AddressInfo, createServer } from 'node:net';

/**
 * A TCP port free on 127.0.0.1 right now (the OS picks it): for a server a test starts itself.
 *
 * @example
 * const port = await freePort();
 * spawn('etcd', ['--listen-client-urls', `http://127.0.0.1:${port}`]);
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

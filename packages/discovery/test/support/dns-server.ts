import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import packet from 'dns-packet';

/** Records of one name. */
export interface ZoneEntry {
  A?: string[];
  AAAA?: string[];
  SRV?: { target: string; port: number; priority?: number; weight?: number }[];
}

const NXDOMAIN = 3;

/**
 * A tiny authoritative DNS server over UDP for tests (Node has none built in): answers A, AAAA and
 * SRV questions from `zone` (mutable: tests change it), NXDOMAIN for unknown names, an empty
 * answer for known names without records of the asked type.
 */
export async function startDnsServer(
  zone: Map<string, ZoneEntry>,
): Promise<{ server: string; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    const query = packet.decode(msg);
    const question = query.questions?.[0];
    if (!question) return;
    const entry = zone.get(question.name.toLowerCase());
    const answers: packet.Answer[] = [];
    if (question.type === 'A')
      for (const ip of entry?.A ?? []) answers.push({ type: 'A', name: question.name, ttl: 5, data: ip });
    if (question.type === 'AAAA') {
      for (const ip of entry?.AAAA ?? [])
        answers.push({ type: 'AAAA', name: question.name, ttl: 5, data: ip });
    }
    if (question.type === 'SRV') {
      for (const s of entry?.SRV ?? []) {
        answers.push({
          type: 'SRV',
          name: question.name,
          ttl: 5,
          data: { target: s.target, port: s.port, priority: s.priority ?? 0, weight: s.weight ?? 10 },
        });
      }
    }
    const response = packet.encode({
      type: 'response',
      id: query.id,
      flags: packet.AUTHORITATIVE_ANSWER | (entry ? 0 : NXDOMAIN),
      questions: query.questions,
      answers,
    });
    socket.send(response, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address() as AddressInfo;
  return {
    server: `127.0.0.1:${port}`,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

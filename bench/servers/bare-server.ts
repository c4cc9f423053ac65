// The baseline (servers/bare-app.ts) as a process on 127.0.0.1:$PORT.
import { buildBareApp } from './bare-app.ts';

const app = buildBareApp();
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3000) });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));

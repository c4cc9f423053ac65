export { createTestDatabase, type TestDatabase } from './database.ts';
export { serverAvailable, type TestServer, testServers } from './servers.ts';

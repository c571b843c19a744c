/**
 * The baseline of the `.env` route: a bare Fastify route reading the same Redis key, with
 * nothing else. Run as its own process (like the API), it prints its port on stdout.
 */
import Fastify from 'fastify';
import { Redis } from 'ioredis';

async function main(): Promise<void> {
  const key = process.argv[2];
  if (!key) throw new Error('usage: bare-env-server <redis key>');
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const app = Fastify();
  app.get('/env', async () => (await redis.get(key)) ?? '');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  console.log(typeof address === 'object' && address ? address.port : 0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
